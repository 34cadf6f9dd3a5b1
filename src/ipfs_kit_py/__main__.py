"""``python -m ipfs_kit_py`` runs the CLI."""

from ipfs_kit_py.cli import main

main()
