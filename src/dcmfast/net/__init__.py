"""DICOM networking (PS3.7, PS3.8): associations, C-ECHO and C-STORE as SCU
and SCP.

::

    ae = dcmfast.net.AE("MY_AE")
    with ae.associate("127.0.0.1", 11112, ae_title="PEER") as assoc:
        assoc.echo()
        assoc.store(ds_or_path)          # returns the Status
    ae.serve(11112, storage_dir="in/")   # blocking; ae.start_server(...) in a thread

Layers: csrc/pdu.c (PDU codec and P-DATA fragmentation, sans-IO) ->
:mod:`.pdu` (PDU objects) -> :mod:`.dul` (the PS3.8 9.2 state machine table) ->
:mod:`.assoc` (transport, association, DIMSE messages) -> :mod:`.ae` (AE,
server) with :mod:`.dimse` (command sets, statuses) and :mod:`.storage`.
"""
from dcmfast.net.ae import AE, Server
from dcmfast.net.assoc import (Association, AssociationAborted, AssociationError,
                               AssociationRejected, NetworkTimeout, NoPresentationContext,
                               Timeouts)
from dcmfast.net.dimse import Status

__all__ = ["AE", "Server", "Association", "AssociationError", "AssociationRejected",
           "AssociationAborted", "NetworkTimeout", "NoPresentationContext", "Timeouts", "Status"]
