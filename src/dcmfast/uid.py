"""DICOM unique identifiers (UIDs).

:class:`UID` is a :class:`str` subclass that knows its entry in the DICOM UID
registry (name, type, keyword...) and, for transfer syntaxes, the encoding it
implies. Behaviour follows :mod:`pydicom.uid`.

Every keyword of the UID registry is available as a module constant, for
example :data:`ExplicitVRLittleEndian`, :data:`JPEG2000Lossless`,
:data:`HTJ2K`, :data:`CTImageStorage` or :data:`SegmentationStorage`.
"""

from __future__ import annotations

import re
import warnings

from dcmfast._dict._uid_dict import UID_DICT

__all__ = [
    "AllTransferSyntaxes",
    "IMPLEMENTATION_CLASS_UID",
    "IMPLEMENTATION_VERSION_NAME",
    "JPEG2000TransferSyntaxes",
    "JPEGLSTransferSyntaxes",
    "JPEGTransferSyntaxes",
    "MPEGTransferSyntaxes",
    "PrivateTransferSyntaxes",
    "RE_VALID_UID",
    "RE_VALID_UID_PREFIX",
    "RLETransferSyntaxes",
    "UID",
    "UncompressedTransferSyntaxes",
    "generate_uid",
    "register_transfer_syntax",
]  # plus every UID keyword constant, appended below

#: Validation modes (same values as pydicom.config.IGNORE / WARN / RAISE).
IGNORE = 0
WARN = 1
RAISE = 2
#: Mode used by :class:`UID` when no ``validation_mode`` is passed. pydicom's
#: default reading mode is WARN.
DEFAULT_VALIDATION_MODE = WARN

#: A valid UID: dot separated numbers without leading zeros (PS3.5 9.1).
RE_VALID_UID = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
#: A valid UID prefix: like a UID but ending with a dot.
RE_VALID_UID_PREFIX = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*\.$")

_MAX_UID_LENGTH = 64
_MAX_PREFIX_LENGTH = 54
_DICOM_ROOT = "1.2.840.10008."
_TRANSFER_SYNTAX = "Transfer Syntax"
_IMPLICIT_VR_LE = "1.2.840.10008.1.2"
_EXPLICIT_VR_BE = "1.2.840.10008.1.2.2"
_DEFLATED_EXPLICIT_VR_LE = "1.2.840.10008.1.2.1.99"
_NATIVE_SYNTAXES = frozenset(
    (_IMPLICIT_VR_LE, "1.2.840.10008.1.2.1", _EXPLICIT_VR_BE, _DEFLATED_EXPLICIT_VR_LE)
)
_NOT_TS = "UID is not a transfer syntax."


def _validate(value: str, mode: int) -> None:
    """Check `value` as a UI value; warn or raise per `mode` if invalid."""
    msgs = []
    if len(value) > _MAX_UID_LENGTH:
        msgs.append(
            f"The value length ({len(value)}) exceeds the maximum length of "
            f"{_MAX_UID_LENGTH} allowed for VR UI."
        )
    if value and (not RE_VALID_UID.match(value) or value[-1] == "\n"):
        msgs.append(f"Invalid value for VR UI: {value!r}.")
    if not msgs:
        return
    msg = (
        " ".join(msgs) + " Please see <https://dicom.nema.org/medical/dicom/"
        "current/output/html/part05.html#table_6.2-1> for allowed values "
        "for each VR."
    )
    if mode == RAISE:
        raise ValueError(msg)
    from dcmfast.errors import DicomWarning

    warnings.warn(msg, DicomWarning, stacklevel=3)


class UID(str):
    """A DICOM UID, usable anywhere a :class:`str` is.

    Parameters
    ----------
    val : str
        The UID; surrounding whitespace is stripped. If `val` is a
        :class:`UID` with a private encoding set, the encoding is kept.
    validation_mode : int, optional
        :data:`IGNORE`, :data:`WARN` or :data:`RAISE`; how an invalid value
        is reported. Default :data:`DEFAULT_VALIDATION_MODE`.

    Raises
    ------
    TypeError
        If `val` is not a :class:`str`.
    ValueError
        If `val` is invalid and the mode is :data:`RAISE`.

    Examples
    --------
    >>> uid = UID("1.2.840.10008.1.2.4.50")
    >>> uid.name
    'JPEG Baseline (Process 1)'
    >>> uid.is_transfer_syntax, uid.is_little_endian, uid.is_compressed
    (True, True, True)
    >>> uid == "1.2.840.10008.1.2.4.50"
    True

    A UID outside the ``1.2.840.10008.`` root is private; it is only a
    transfer syntax once its encoding is set:

    >>> ts = UID("1.2.3.4")
    >>> ts.set_private_encoding(False, True)  # explicit VR, little endian
    >>> ts.is_transfer_syntax, ts.is_compressed
    (True, True)
    """

    _PRIVATE_TS_ENCODING: tuple[bool, bool]

    def __new__(cls, val: str, validation_mode: int | None = None) -> UID:
        """Create the UID (see the class docstring)."""
        if not isinstance(val, str):
            raise TypeError("A UID must be created from a string")
        mode = DEFAULT_VALIDATION_MODE if validation_mode is None else validation_mode
        if mode != IGNORE:
            _validate(val, mode)
        uid = super().__new__(cls, val.strip())
        encoding = getattr(val, "_PRIVATE_TS_ENCODING", None)
        if encoding is not None:
            uid._PRIVATE_TS_ENCODING = encoding
        return uid

    # --- dictionary information ---

    @property
    def name(self) -> str:
        """Return the registry name, or the UID itself if not registered."""
        entry = UID_DICT.get(str(self))
        return entry[0] if entry is not None else str(self)

    @property
    def type(self) -> str:
        """Return the registry type (``'Transfer Syntax'``, ``'SOP Class'``,
        ...) or ``''``."""
        entry = UID_DICT.get(str(self))
        return entry[1] if entry is not None else ""

    @property
    def info(self) -> str:
        """Return the registry info text or ``''``."""
        entry = UID_DICT.get(str(self))
        return entry[2] if entry is not None else ""

    @property
    def is_retired(self) -> bool:
        """Return ``True`` if the registry marks the UID as retired."""
        entry = UID_DICT.get(str(self))
        return bool(entry[3]) if entry is not None else False

    @property
    def keyword(self) -> str:
        """Return the registry keyword (e.g. ``'CTImageStorage'``) or ``''``."""
        entry = UID_DICT.get(str(self))
        return entry[4] if entry is not None else ""

    @property
    def is_private(self) -> bool:
        """Return ``True`` if the UID is not under the DICOM root
        ``1.2.840.10008.``."""
        return self[:14] != _DICOM_ROOT

    @property
    def is_valid(self) -> bool:
        """Return ``True`` if the UID is at most 64 characters of dot
        separated numbers without leading zeros."""
        return len(self) <= _MAX_UID_LENGTH and RE_VALID_UID.match(self) is not None

    # --- transfer syntax ---

    @property
    def is_transfer_syntax(self) -> bool:
        """Return ``True`` for a transfer syntax.

        A public UID is a transfer syntax if the registry says so; a private
        one if :meth:`set_private_encoding` has been called on it.
        """
        if self[:14] != _DICOM_ROOT:
            return hasattr(self, "_PRIVATE_TS_ENCODING")
        entry = UID_DICT.get(str(self))
        return entry is not None and entry[1] == _TRANSFER_SYNTAX

    @property
    def is_implicit_VR(self) -> bool:
        """Return ``True`` for an implicit VR transfer syntax.

        Only *Implicit VR Little Endian* is implicit among public transfer
        syntaxes (as in pydicom). Raises :class:`ValueError` if the UID is
        not a transfer syntax.
        """
        if not self.is_transfer_syntax:
            raise ValueError(_NOT_TS)
        if self[:14] == _DICOM_ROOT:
            return self == _IMPLICIT_VR_LE
        return self._PRIVATE_TS_ENCODING[0]

    @property
    def is_little_endian(self) -> bool:
        """Return ``True`` for a little endian transfer syntax.

        Only *Explicit VR Big Endian* is big endian among public transfer
        syntaxes. Raises :class:`ValueError` if the UID is not a transfer
        syntax.
        """
        if not self.is_transfer_syntax:
            raise ValueError(_NOT_TS)
        if self[:14] == _DICOM_ROOT:
            return self != _EXPLICIT_VR_BE
        return self._PRIVATE_TS_ENCODING[1]

    @property
    def is_deflated(self) -> bool:
        """Return ``True`` for *Deflated Explicit VR Little Endian*.

        Raises :class:`ValueError` if the UID is not a transfer syntax.
        """
        if not self.is_transfer_syntax:
            raise ValueError(_NOT_TS)
        return self == _DEFLATED_EXPLICIT_VR_LE

    @property
    def is_compressed(self) -> bool:
        """Return ``True`` unless the transfer syntax is one of the four
        native (non-encapsulated) ones.

        Raises :class:`ValueError` if the UID is not a transfer syntax.
        """
        if not self.is_transfer_syntax:
            raise ValueError(_NOT_TS)
        return str(self) not in _NATIVE_SYNTAXES

    @property
    def is_encapsulated(self) -> bool:
        """Return ``True`` for an encapsulated transfer syntax (same as
        :attr:`is_compressed`)."""
        return self.is_compressed

    def set_private_encoding(self, implicit_vr: bool, little_endian: bool) -> None:
        """Set the dataset encoding of a private transfer syntax.

        Parameters
        ----------
        implicit_vr : bool
            ``True`` for implicit VR, ``False`` for explicit VR.
        little_endian : bool
            ``True`` for little endian, ``False`` for big endian.
        """
        self._PRIVATE_TS_ENCODING = (implicit_vr, little_endian)


def _registered(uid: str) -> UID:
    """Return a :class:`UID` for a registry value without validating it."""
    return str.__new__(UID, uid)


# --- one constant per registry keyword ----------------------------------------

_KEYWORD_TO_UID: dict[str, UID] = {
    entry[4]: _registered(uid) for uid, entry in UID_DICT.items() if entry[4]
}
for _kw in _KEYWORD_TO_UID:
    if _kw in globals():  # pragma: no cover - guard against a name clash
        raise RuntimeError(f"UID keyword {_kw!r} clashes with a module name")
globals().update(_KEYWORD_TO_UID)
__all__ += list(_KEYWORD_TO_UID)
del _kw

# Explicit names for the most used constants (so tools and type checkers
# see them); the values are the registry entries bound above.
ImplicitVRLittleEndian: UID = _KEYWORD_TO_UID["ImplicitVRLittleEndian"]
ExplicitVRLittleEndian: UID = _KEYWORD_TO_UID["ExplicitVRLittleEndian"]
EncapsulatedUncompressedExplicitVRLittleEndian: UID = _KEYWORD_TO_UID[
    "EncapsulatedUncompressedExplicitVRLittleEndian"
]
DeflatedExplicitVRLittleEndian: UID = _KEYWORD_TO_UID["DeflatedExplicitVRLittleEndian"]
ExplicitVRBigEndian: UID = _KEYWORD_TO_UID["ExplicitVRBigEndian"]
JPEGBaseline8Bit: UID = _KEYWORD_TO_UID["JPEGBaseline8Bit"]
JPEGExtended12Bit: UID = _KEYWORD_TO_UID["JPEGExtended12Bit"]
JPEGLossless: UID = _KEYWORD_TO_UID["JPEGLossless"]
JPEGLosslessSV1: UID = _KEYWORD_TO_UID["JPEGLosslessSV1"]
JPEGLSLossless: UID = _KEYWORD_TO_UID["JPEGLSLossless"]
JPEGLSNearLossless: UID = _KEYWORD_TO_UID["JPEGLSNearLossless"]
JPEG2000Lossless: UID = _KEYWORD_TO_UID["JPEG2000Lossless"]
JPEG2000: UID = _KEYWORD_TO_UID["JPEG2000"]
JPEG2000MCLossless: UID = _KEYWORD_TO_UID["JPEG2000MCLossless"]
JPEG2000MC: UID = _KEYWORD_TO_UID["JPEG2000MC"]
JPIPReferenced: UID = _KEYWORD_TO_UID["JPIPReferenced"]
JPIPReferencedDeflate: UID = _KEYWORD_TO_UID["JPIPReferencedDeflate"]
MPEG2MPML: UID = _KEYWORD_TO_UID["MPEG2MPML"]
MPEG2MPMLF: UID = _KEYWORD_TO_UID["MPEG2MPMLF"]
MPEG2MPHL: UID = _KEYWORD_TO_UID["MPEG2MPHL"]
MPEG2MPHLF: UID = _KEYWORD_TO_UID["MPEG2MPHLF"]
MPEG4HP41: UID = _KEYWORD_TO_UID["MPEG4HP41"]
MPEG4HP41F: UID = _KEYWORD_TO_UID["MPEG4HP41F"]
MPEG4HP41BD: UID = _KEYWORD_TO_UID["MPEG4HP41BD"]
MPEG4HP41BDF: UID = _KEYWORD_TO_UID["MPEG4HP41BDF"]
MPEG4HP422D: UID = _KEYWORD_TO_UID["MPEG4HP422D"]
MPEG4HP422DF: UID = _KEYWORD_TO_UID["MPEG4HP422DF"]
MPEG4HP423D: UID = _KEYWORD_TO_UID["MPEG4HP423D"]
MPEG4HP423DF: UID = _KEYWORD_TO_UID["MPEG4HP423DF"]
MPEG4HP42STEREO: UID = _KEYWORD_TO_UID["MPEG4HP42STEREO"]
MPEG4HP42STEREOF: UID = _KEYWORD_TO_UID["MPEG4HP42STEREOF"]
HEVCMP51: UID = _KEYWORD_TO_UID["HEVCMP51"]
HEVCM10P51: UID = _KEYWORD_TO_UID["HEVCM10P51"]
HTJ2KLossless: UID = _KEYWORD_TO_UID["HTJ2KLossless"]
HTJ2KLosslessRPCL: UID = _KEYWORD_TO_UID["HTJ2KLosslessRPCL"]
HTJ2K: UID = _KEYWORD_TO_UID["HTJ2K"]
JPIPHTJ2KReferenced: UID = _KEYWORD_TO_UID["JPIPHTJ2KReferenced"]
JPIPHTJ2KReferencedDeflate: UID = _KEYWORD_TO_UID["JPIPHTJ2KReferencedDeflate"]
RLELossless: UID = _KEYWORD_TO_UID["RLELossless"]
SMPTEST211020UncompressedProgressiveActiveVideo: UID = _KEYWORD_TO_UID[
    "SMPTEST211020UncompressedProgressiveActiveVideo"
]
SMPTEST211020UncompressedInterlacedActiveVideo: UID = _KEYWORD_TO_UID[
    "SMPTEST211020UncompressedInterlacedActiveVideo"
]
SMPTEST211030PCMDigitalAudio: UID = _KEYWORD_TO_UID["SMPTEST211030PCMDigitalAudio"]
CTImageStorage: UID = _KEYWORD_TO_UID["CTImageStorage"]
EnhancedCTImageStorage: UID = _KEYWORD_TO_UID["EnhancedCTImageStorage"]
MRImageStorage: UID = _KEYWORD_TO_UID["MRImageStorage"]
EnhancedMRImageStorage: UID = _KEYWORD_TO_UID["EnhancedMRImageStorage"]
SegmentationStorage: UID = _KEYWORD_TO_UID["SegmentationStorage"]
SecondaryCaptureImageStorage: UID = _KEYWORD_TO_UID["SecondaryCaptureImageStorage"]
ComputedRadiographyImageStorage: UID = _KEYWORD_TO_UID["ComputedRadiographyImageStorage"]
DigitalXRayImageStorageForPresentation: UID = _KEYWORD_TO_UID[
    "DigitalXRayImageStorageForPresentation"
]
UltrasoundImageStorage: UID = _KEYWORD_TO_UID["UltrasoundImageStorage"]
UltrasoundMultiFrameImageStorage: UID = _KEYWORD_TO_UID[
    "UltrasoundMultiFrameImageStorage"
]
NuclearMedicineImageStorage: UID = _KEYWORD_TO_UID["NuclearMedicineImageStorage"]
PositronEmissionTomographyImageStorage: UID = _KEYWORD_TO_UID[
    "PositronEmissionTomographyImageStorage"
]
RTImageStorage: UID = _KEYWORD_TO_UID["RTImageStorage"]
RTDoseStorage: UID = _KEYWORD_TO_UID["RTDoseStorage"]
RTStructureSetStorage: UID = _KEYWORD_TO_UID["RTStructureSetStorage"]
RTPlanStorage: UID = _KEYWORD_TO_UID["RTPlanStorage"]
EncapsulatedPDFStorage: UID = _KEYWORD_TO_UID["EncapsulatedPDFStorage"]
VLWholeSlideMicroscopyImageStorage: UID = _KEYWORD_TO_UID[
    "VLWholeSlideMicroscopyImageStorage"
]
MediaStorageDirectoryStorage: UID = _KEYWORD_TO_UID["MediaStorageDirectoryStorage"]

# --- transfer syntax groups (same members as pydicom.uid) ---------------------

#: All non-retired transfer syntaxes pydicom lists, plus Explicit VR Big Endian.
AllTransferSyntaxes: list[UID] = [
    ImplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    JPEG2000Lossless,
    JPEG2000,
    JPEG2000MCLossless,
    JPEG2000MC,
    MPEG2MPML,
    MPEG2MPMLF,
    MPEG2MPHL,
    MPEG2MPHLF,
    MPEG4HP41,
    MPEG4HP41F,
    MPEG4HP41BD,
    MPEG4HP41BDF,
    MPEG4HP422D,
    MPEG4HP422DF,
    MPEG4HP423D,
    MPEG4HP423DF,
    MPEG4HP42STEREO,
    MPEG4HP42STEREOF,
    HEVCMP51,
    HEVCM10P51,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    HTJ2K,
    JPIPHTJ2KReferenced,
    JPIPHTJ2KReferencedDeflate,
    RLELossless,
    SMPTEST211020UncompressedProgressiveActiveVideo,
    SMPTEST211020UncompressedInterlacedActiveVideo,
    SMPTEST211030PCMDigitalAudio,
]
#: JPEG (ISO/IEC 10918-1) transfer syntaxes.
JPEGTransferSyntaxes: list[UID] = [
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
]
#: JPEG-LS (ISO/IEC 14495-1) transfer syntaxes.
JPEGLSTransferSyntaxes: list[UID] = [JPEGLSLossless, JPEGLSNearLossless]
#: JPEG 2000 (ISO/IEC 15444-1) and HTJ2K transfer syntaxes.
JPEG2000TransferSyntaxes: list[UID] = [
    JPEG2000Lossless,
    JPEG2000,
    JPEG2000MCLossless,
    JPEG2000MC,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    HTJ2K,
]
#: MPEG-2, MPEG-4 AVC and HEVC transfer syntaxes.
MPEGTransferSyntaxes: list[UID] = [
    MPEG2MPML,
    MPEG2MPMLF,
    MPEG2MPHL,
    MPEG2MPHLF,
    MPEG4HP41,
    MPEG4HP41F,
    MPEG4HP41BD,
    MPEG4HP41BDF,
    MPEG4HP422D,
    MPEG4HP422DF,
    MPEG4HP423D,
    MPEG4HP423DF,
    MPEG4HP42STEREO,
    MPEG4HP42STEREOF,
    HEVCMP51,
    HEVCM10P51,
]
#: RLE transfer syntaxes.
RLETransferSyntaxes: list[UID] = [RLELossless]
#: Native (non-encapsulated) transfer syntaxes.
UncompressedTransferSyntaxes: list[UID] = [
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
]
#: Private transfer syntaxes added with :func:`register_transfer_syntax`.
PrivateTransferSyntaxes: list[UID] = []


def register_transfer_syntax(
    uid: str | UID,
    implicit_vr: bool | None = None,
    little_endian: bool | None = None,
) -> UID:
    """Register a private transfer syntax so datasets using it can be read.

    Parameters
    ----------
    uid : str or UID
        The transfer syntax UID, possibly with its encoding already set by
        :meth:`UID.set_private_encoding`.
    implicit_vr : bool, optional
        ``True`` for implicit VR; required unless `uid` already has an
        encoding.
    little_endian : bool, optional
        ``True`` for little endian; required unless `uid` already has an
        encoding.

    Returns
    -------
    UID
        The registered UID (appended to :data:`PrivateTransferSyntaxes`).

    Raises
    ------
    ValueError
        If the encoding is neither given nor already set.
    """
    uid = UID(uid)
    if None in (implicit_vr, little_endian) and not uid.is_transfer_syntax:
        raise ValueError(
            "The corresponding dataset encoding for 'uid' must be set using "
            "the 'implicit_vr' and 'little_endian' arguments"
        )
    if implicit_vr is not None and little_endian is not None:
        uid.set_private_encoding(implicit_vr, little_endian)
    if uid not in PrivateTransferSyntaxes:
        PrivateTransferSyntaxes.append(uid)
    return uid


# --- identity and UID generation ----------------------------------------------

#: The ISO/IEC 9834-8 root for UUID-derived UIDs (``2.25.<uuid as int>``).
UUID_ROOT = "2.25."

#: (0002,0012) Implementation Class UID written by dcmfast: a UUID-derived UID
#: generated once (uuid4) and fixed forever; no registered root is needed.
IMPLEMENTATION_CLASS_UID = _registered("2.25.218032936910830347315845485070653310440")

#: (0002,0013) Implementation Version Name (SH, at most 16 characters).
#: Hard-coded; keep in step with ``dcmfast.__version__`` when releasing.
IMPLEMENTATION_VERSION_NAME = "DCMFAST_010"



def generate_uid(
    prefix: str | None = None, entropy_srcs: list[str] | None = None
) -> UID:
    """Return a new UID of at most 64 characters.

    Parameters
    ----------
    prefix : str or None, optional
        ``None`` (default) or ``'2.25.'`` makes a UUID-derived UID
        ``2.25.<128-bit int>`` (PS3.5 B.2): from a random :func:`uuid.uuid4`,
        or, when `entropy_srcs` is given, from a name-based
        :func:`uuid.uuid5` of the joined sources, so the result is
        deterministic. Any other prefix must be a valid UID root ending with
        ``'.'`` and at most 54 characters; it is followed by a random number
        or, with `entropy_srcs`, by the SHA-512 of the joined sources as an
        integer, truncated to 64 characters (as pydicom does).
    entropy_srcs : list of str, optional
        Values from which to derive the UID deterministically (for example
        the original UIDs when de-identifying).

    Returns
    -------
    UID
        The generated UID.

    Raises
    ------
    ValueError
        If `prefix` is too long or not a valid UID prefix.

    Notes
    -----
    pydicom's default prefix is its own registered root and it ignores
    `entropy_srcs` when `prefix` is ``None``; dcmfast has no registered root,
    so both forms are UUID-derived here.
    """
    import hashlib
    import secrets
    import uuid

    if prefix is None or prefix == UUID_ROOT:
        if entropy_srcs is None:
            value = uuid.uuid4()
        else:
            # Name-based UUID in a namespace of our own (the UUID behind
            # IMPLEMENTATION_CLASS_UID), so equal sources give equal UIDs.
            namespace = uuid.UUID(int=int(IMPLEMENTATION_CLASS_UID[len(UUID_ROOT) :]))
            value = uuid.uuid5(namespace, "".join(entropy_srcs))
        return _registered(f"{UUID_ROOT}{value.int}")

    if len(prefix) > _MAX_PREFIX_LENGTH:
        raise ValueError(
            f"The 'prefix' should be no more than {_MAX_PREFIX_LENGTH} characters long"
        )
    if not RE_VALID_UID_PREFIX.match(prefix):
        raise ValueError(
            "The 'prefix' is not valid for use with a UID, see Part 5, Section "
            "9.1 of the DICOM Standard"
        )

    if entropy_srcs is None:
        suffix = secrets.randbelow(10 ** (_MAX_UID_LENGTH - len(prefix)))
    else:
        digest = hashlib.sha512("".join(entropy_srcs).encode("utf-8")).hexdigest()
        suffix = int(digest, 16)
    return UID(f"{prefix}{suffix}"[:_MAX_UID_LENGTH])
