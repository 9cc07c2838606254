"""One exception tree. ``FacespeakInputError`` and its children are the
user's to fix (the CLI prints them on one line and exits 2); anything else is
an internal error (exit 1)."""


class FacespeakError(Exception):
    """Base of every error facespeak raises on purpose."""


class FacespeakInputError(FacespeakError, ValueError):
    """Bad input: a file, a text or an option the user can correct."""


class PortraitError(FacespeakInputError):
    """The portrait file is missing, unreadable, not an image or too large."""


class NoFaceFound(FacespeakInputError):
    """No human face was detected in the portrait."""


class FaceTooSmall(FacespeakInputError):
    """The face is too small to animate."""


class EmptyText(FacespeakInputError):
    """The text has nothing speakable in it."""


class BadSsml(FacespeakInputError):
    """SSML text is malformed or uses a tag, attribute or value outside the supported subset."""


class UnknownVoice(FacespeakInputError):
    """The requested voice does not exist for the engine."""


class UnsupportedLanguage(FacespeakInputError):
    """No installed engine speaks the requested language."""


class OutputPathError(FacespeakInputError):
    """The output path cannot be written."""


class MotionFileError(FacespeakInputError):
    """A motion JSON file is malformed."""


class BadVoiceReference(FacespeakInputError):
    """A reference recording (--voice-ref) is unreadable, silent, too short or not speech."""


class VideoInputError(FacespeakInputError):
    """A video to evaluate is missing, unreadable, or lacks what a metric needs
    (a video stream, a face, an audio track)."""


class EngineMissing(FacespeakError):
    """A required external program or library is not installed."""


class EngineFailed(FacespeakError):
    """An external engine ran but failed."""
