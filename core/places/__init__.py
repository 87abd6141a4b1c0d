"""Places: UK postcodes (parsing, districts) and geocoding (the one entry point, `geocode`)."""
