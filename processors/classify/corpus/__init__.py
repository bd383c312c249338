"""The shipped training corpus and the seeded generator that writes it.

`corpus.csv` (text,label,language,group,style) is built by `generate.py` from the
hand-written base complaints in `base_*.txt`, each composed the ways citizens really write
(form entries, emails, angry emails, formal letters, chat messages, contact-centre notes, and
handwritten letters read by OCR). Regenerate with `python -m processors.classify.corpus.generate`.
"""
