"""What an organisation's name is once the ways people type it are set aside.

`normal_form` is the key the directory matches typed names on: "Swale BC", "swale  borough
council" and "Swale Borough Council." are one key, as are "Kent Police" and "Kent Constabulary",
"Medway NHS FT" and "Medway NHS Foundation Trust", "Health & Care" and "Health and Care".
`initials` gives what an acronym of the name would be ("SBC"). Pure: imports nothing of the app.
"""

from __future__ import annotations

import re
import unicodedata

# Common short forms, word by word, as they are written on letterheads and in mail signatures.
SHORT_FORMS = {
    "bc": "borough council",
    "cc": "county council",  # the usual reading; suggestions also try "city council"
    "ca": "citizens advice",
    "dc": "district council",
    "mbc": "metropolitan borough council",
    "ft": "foundation trust",
    "icb": "integrated care board",
    "frs": "fire and rescue service",
    "ha": "housing association",
    "univ": "university",
    "uni": "university",
    "dept": "department",
    "govt": "government",
    "constabulary": "police",  # forces go by both: "Kent Police" is "Kent Constabulary"
    "ltd": "limited",
    "st": "saint",
}
# Words that say nothing about which organisation it is.
FILLER = {"the", "of", "limited", "plc", "cic"}
# Words an acronym leaves out ("DWP": Department for Work and Pensions).
UNINITIALLED = {"and", "for", "of", "the", "&", "in", "on"}


def words(name: str) -> list[str]:
    """The name's words, lower case, without accents or punctuation ("&" kept as "and")."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = plain.replace("&", " and ").replace("'", "").replace("\u2019", "")
    return re.findall(r"[a-z0-9]+", plain)


def normal_form(name: str) -> str:
    """The directory's key for a name: its words with short forms written out, filler dropped."""
    text = " ".join(SHORT_FORMS.get(w, w) for w in words(name))
    text = re.sub(r"\bpolice (?:force|service)\b", "police", text)
    return " ".join(w for w in text.split() if w not in FILLER)


def initials(name: str) -> set[str]:
    """The acronyms people make of a name: its words' first letters, short forms written out
    ("Swale BC" -> "sbc"); and with a short word in capitals kept whole, as it is an acronym
    itself ("HM Prison and Probation Service" -> "hmpps", "UK Health Security Agency" ->
    "ukhsa")."""
    kept = [w for w in normal_form(name).split() if w not in UNINITIALLED]
    written = [w for w in re.findall(r"[A-Za-z0-9]+", name) if w.lower() not in UNINITIALLED]
    whole = "".join(w.lower() if w.isupper() and len(w) <= 4 else w[0].lower() for w in written)
    return {"".join(w[0] for w in kept), whole}


def is_acronym(name: str) -> bool:
    """Whether a typed name looks like an acronym: one short word, letters only ("SBC", "kcc")."""
    parts = words(name)
    return len(parts) == 1 and parts[0].isalpha() and 2 <= len(parts[0]) <= 6
