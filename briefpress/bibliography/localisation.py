"""biblatex's words for a database: month macros, localisation keys and language names.

Pandoc resolves these as biblatex does, in English (the locale it reads a .bib with):
``month = jan``, ``type = {mathesis}``, ``series = {newseries}``, ``\\bibstring{…}``, and
``langid``/``hyphenation`` names turned into IETF tags (Pandoc's ``toIETF``).
"""

MONTHS = {name: i for i, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}

# biblatex's English localisation keys (english.lbx) that a database uses: in ``type``,
# ``pubstate``, ``series`` and ``\bibstring``.
BIBSTRINGS = {
    "mathesis": "Master’s thesis", "phdthesis": "PhD thesis", "candthesis": "Candidate thesis",
    "techreport": "technical report", "resreport": "research report", "software": "computer software",
    "datacd": "CD-ROM", "audiocd": "audio CD", "jourser": "series", "newseries": "new series",
    "oldseries": "old series", "inpreparation": "in preparation", "submitted": "submitted",
    "forthcoming": "forthcoming", "inpress": "in press", "prepublished": "pre-published",
    "patent": "patent", "patentus": "U.S. patent", "patentuk": "British patent",
    "patentde": "German patent", "patentfr": "French patent", "patenteu": "European patent",
    "patrequs": "U.S. patent request", "patreqde": "German patent request",
    "patreq": "patent request", "patreqeu": "European patent request", "patreqfr": "French patent request",
    "patrequk": "British patent request", "countryus": "United States of America",
    "countryuk": "United Kingdom", "countryde": "Germany", "countryfr": "France",
    "countryeu": "European Union", "countryep": "European Union", "volume": "volume", "edition": "edition",
    "reprint": "reprint", "urlfrom": "available from", "newspaper": "newspaper", "magazine": "magazine",
    "january": "January", "february": "February", "march": "March", "april": "April", "june": "June",
    "july": "July", "august": "August", "september": "September", "october": "October",
    "november": "November", "december": "December", "translation": "translation",
}

# langid / hyphenation -> IETF tag (Pandoc's toIETF).
LANGUAGES = {
    "english": "en-US", "usenglish": "en-US", "american": "en-US", "british": "en-GB",
    "ukenglish": "en-GB", "canadian": "en-US", "australian": "en-GB", "newzealand": "en-GB",
    "afrikaans": "af-ZA", "arabic": "ar", "basque": "eu", "bulgarian": "bg-BG", "catalan": "ca-AD",
    "croatian": "hr-HR", "czech": "cs-CZ", "danish": "da-DK", "dutch": "nl-NL", "estonian": "et-EE",
    "finnish": "fi-FI", "canadien": "fr-CA", "acadian": "fr-CA", "french": "fr-FR",
    "francais": "fr-FR", "austrian": "de-AT", "naustrian": "de-AT", "german": "de-DE",
    "germanb": "de-DE", "ngerman": "de-DE", "greek": "el-GR", "polutonikogreek": "el-GR",
    "hebrew": "he-IL", "hungarian": "hu-HU", "icelandic": "is-IS", "italian": "it-IT",
    "japanese": "ja-JP", "latvian": "lv-LV", "lithuanian": "lt-LT", "magyar": "hu-HU",
    "mongolian": "mn-MN", "norsk": "nb-NO", "nynorsk": "nn-NO", "farsi": "fa-IR", "polish": "pl-PL",
    "brazil": "pt-BR", "brazilian": "pt-BR", "portugues": "pt-PT", "portuguese": "pt-PT",
    "romanian": "ro-RO", "russian": "ru-RU", "serbian": "sr-RS", "serbianc": "sr-RS",
    "slovak": "sk-SK", "slovene": "sl-SL", "spanish": "es-ES", "swedish": "sv-SE", "thai": "th-TH",
    "turkish": "tr-TR", "ukrainian": "uk-UA", "vietnamese": "vi-VN", "latin": "la",
}
ENGLISH_VARIANTS = {"british": "british", "uk": "british", "american": "american", "us": "american",
                    "usmax": "american", "australian": "australian", "newzealand": "newzealand"}
