"""Complaint statistics (figures per category and department) and their open data."""
