"""Generated DICOM dictionary tables (see tools/gen_dictionary.py).

The submodules hold plain literals only and are imported lazily by
:mod:`dcmfast.datadict` and :mod:`dcmfast.uid`.
"""
