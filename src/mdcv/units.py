"""Unit conversions shared by the library: inside it lengths are nm, times ps,
energies kJ/mol; reported eigenvalues are in ns⁻¹."""

#: Picoseconds per nanosecond: a rate in ps⁻¹ times this is the rate in ns⁻¹.
PS_PER_NS = 1000.0
