"""Text stage: free text or SSML -> speakable ``Sentence`` objects with pause lengths."""

from facespeak.text.normalize import iter_sentences, normalize_text
from facespeak.text.ssml import is_ssml, parse_ssml, text_to_sentences

__all__ = ["is_ssml", "iter_sentences", "normalize_text", "parse_ssml", "text_to_sentences"]
