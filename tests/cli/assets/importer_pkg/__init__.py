"""A package for importer tests (pkg.module:attr targets)."""
