"""`make demo`: until the web app exists, validate the default instrument and print its codebook."""
