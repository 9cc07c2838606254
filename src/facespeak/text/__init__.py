"""Text stage: free text -> speakable ``Sentence`` objects with pause lengths."""

from facespeak.text.normalize import iter_sentences, normalize_text

__all__ = ["iter_sentences", "normalize_text"]
