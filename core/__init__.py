"""The shared kernel every app may import: domain errors, text helpers, places
(postcodes and geocoding) and database helpers. It imports no other app."""
