"""Placeholder: pages come in the web portals work (issue 4)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
