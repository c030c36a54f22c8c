"""Forms compiled from ui/ by tools/build_forms.py."""
