"""What goes on paper: the print pack, PDF rendering in parts, place cards and badges."""
