"""The one thing pyproject.toml cannot say: the package list found under app/ plus the two
top-level folders the wheel carries inside the package (see [tool.setuptools.package-dir])."""

from setuptools import find_namespace_packages, setup

setup(packages=[*find_namespace_packages(include=["app*"]), "app.templates", "app.migrations"])
