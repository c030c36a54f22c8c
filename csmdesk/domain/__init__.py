"""Pure business rules over plain values: no database, no Qt."""
