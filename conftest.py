"""Repository-level pytest setup: doctests in src/ run too; ``__main__`` is not a test."""

collect_ignore = ["src/ipfs_kit_py/__main__.py"]
