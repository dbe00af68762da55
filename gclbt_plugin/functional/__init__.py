"""Pure tensor functions: random draws, node centralities, GCA's adaptive probabilities and
the masks that drop edges / mask features. Import from the submodules."""
