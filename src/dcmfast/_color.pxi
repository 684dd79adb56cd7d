# Included by _pixels.pyx.
