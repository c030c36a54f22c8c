"""Everything that imports QtWidgets lives here."""
