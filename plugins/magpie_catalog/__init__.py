"""magpie_catalog: product information (PIM), price lists and stock, as a Magpie plugin."""

__version__ = "0.1.0"
