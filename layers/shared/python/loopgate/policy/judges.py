"""Automated judges for simple, binary checks on text: PII, promises, emotion, legal language, asking for a
person, vulnerability.

Deterministic word and pattern checks, English and German, on the folded text of loopgate.policy.text (so
umlauts, ß, capitals and stretched letters do not matter). Each judge returns what it found, quoted as the
customer or the AI wrote it, so that the reasons on a case name the words. Ambiguous cases are left to people.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from loopgate.policy.text import _SEP, NEGATORS, Folded, Hit, compile_patterns, find, fold, words_after, words_before

# --- emotional escalation -------------------------------------------------------------------------------------

ANGER_OR_DISTRESS = (
    # English: anger
    "angry", "anger", "so mad", "furious", "furius", "fuming", "livid", "outraged", "outrageous", "ridiculous",
    "unacceptable", "not acceptable", "disgusted", "disgusting", "disgrace*", "fed up", "sick (and tired|of|to death)",
    "had enough", "enough is enough", "worst(?!{sep}?case)",
    "scam(?!{sep}(calls?|texts?|emails?|messages?|sms|going|warnings?|alerts?))",
    "scammers?", "rip ?off", "ripped off", "terrible (service|support|experience|company|customer)",
    "absolutely terrible", "appalling", "atrocious", "horrendous", "pathetic", "shambles", "useless", "incompetent",
    "(what|such) a joke", "a joke of a", "is a joke", "frustrat*", "(very|really|extremely|so|super) annoyed",
    "how dare", "thanks for nothing", "unbelievable", "cant believe",
    "(nobody|no one|noone) (reads|cares|listens|helps|answers|responds|replies|bothers)",
    "no longer ~ polite", "patience ~ (run out|ran out|used up|gone|worn thin|exhausted|over)",
    "lost (my|a) (client|customer|job|day)", "never again", "zero (solutions?|help|response|answers?)",
    "(three|four|five|six|3|4|5|6|several|multiple|countless) (calls|emails|times|messages|attempts|complaints)",
    "(third|fourth|fifth|sixth|3rd|4th|5th|umpteenth|nth|tenth) time(?!{sep}(this|a|per|in) (year|month))",
    "again and again", "over and over", "still (nothing|no (answer|reply|response|refund))",
    "just great", "nightmare", "cant take (this|it) ~ (anymore|any more|longer)", "end of my (rope|tether)",
    "begging", "upset", "stressed", "(do|does) (you|anyone|anybody) ~ care", "last straw",
    "(nobody|no one|noone) ever", "(not|never) (once|even) (answered|replied|called)", "disappointed",
    # indirect and sarcastic: no anger word, the tone says it
    "beyond a joke", "(some|a) (kind|sort) of (a )?joke", "just wow",
    "another (automated|automatic|generic|canned|useless|pointless|copy paste) (reply|response|answer|message|email)",
    "wasted (hours|days|weeks|months|so much|my|our|the whole)",
    "(you|youve|you have|they|theyve|has|have) ruined", "ruined (our|the whole)",
    "(hang|hung|hanging) up on (me|us)", "(feel|felt|been|was|completely|totally|really|so) let down",
    "(lied to|lying to (me|us))", "had it up to here", "daylight robbery",
    "well and truly (run out|ran out|used up|gone|had enough|fed up)",
    "how many (more )?times (do|must|will|have|should|shall) (i|we)",
    "shocking", "(a|an absolute) disgrace", "treated like", "had it with", "sort it out",
    "not (happy|impressed|pleased|amused) at all", "(very|extremely|so|really|deeply|totally) (unhappy|dissatisfied)",
    "appalled", "horrible", "awful",
    # sarcasm and resignation
    "slow clap", "(well|oh|just) (done|bravo|congratulations)", "congratulations ~ (lost|losing) (a|another|one)",
    "(lost|losing) (a|another|one) ~ (loyal|long ?time|year|years) ~ customer",
    "(do|does) (you|anyone|anybody) ~ (even|actually|ever) (read|listen)", "copy (and )?paste",
    "(same|more) (rubbish|nonsense|garbage|crap|bs|drivel)", "(talking|talk) to a (brick )?wall",
    r"(bloody|damn|fucking|effing|f\*+ing|sodding) (joke|useless|company|service|thing|idiots?)",
    "(im|i am|were|we are|so|totally|completely|officially) done with (you|your|this (company|firm|service|shop))",
    "(complete|total|absolute|utter|such a) (farce|shambles|circus|mess)", "farcical",
    # English: distress
    "desperate*", "despair*", "in tears", "crying", "cried", "panic*", "shaking", "wits end", "losing my mind",
    "(dont|do not) know what (to do|else to do|is going on)", "what is going on", "bounced", "beside myself",
    "cant (even )?(sleep|type|breathe|cope)", "(im|i am) (so )?(scared|terrified|freaking out)",
    # German: Wut
    "wuetend", "wut", "wutentbrannt", "stinksauer", "sauer", "veraergert", "aergere mich", "unverschaemt*",
    "frechheit", "unzumutbar", "zumutung", "enttaeuscht", "katastroph*", "skandal*",
    "betrug(?!s?masche)", "betrueger*", "abzocke*", "abgezockt", "verarsch*", "reicht (mir|jetzt)", "es reicht",
    "mir reichts", "nase voll", "habe es satt", "(die )?nerven ~ (verlieren|verliere|am ende|blank)",
    "verliere ~ nerven", "ausrasten", "raste ~ aus", "platzt ~ kragen",
    "geduld ~ (aufgebraucht|am ende|vorbei|erschoepft|zu ende)",
    "inakzeptabel", "nicht akzeptabel", "laecherlich", "lachhaft", "unfassbar", "saftladen", "sauerei",
    "schlechteste*", "miserabel", "unterirdisch", "so geht man nicht mit", "wie oft (noch|denn noch|soll ich)",
    ("zum (dritten|vierten|fuenften|sechsten|x ten|xten|zigsten|wiederholten|100 ?sten|hundertsten) "
     "mal(?!{sep}(im|in diesem|pro|dieses) (jahr|monat))"),
    "(drei|vier|fuenf|sechs|x|zig) ?mal (angerufen|geschrieben|nachgefragt)", "schon wieder", "immer noch nicht",
    "(danke|dank) (auch )?fuer (gar )?nichts",
    # "Witz"/"Scherz" as a verdict, not the joke on a birthday card
    "(ein|so ein|schlechter|schlechten|schlechte|reiner|absoluter|echter|totaler|witz ohne) (witz|scherz)",
    "witz (des jahres|des jahrhunderts)", "ich kann nicht mehr", "genervt", "nervt", "unfaehig*", "schaemen sie sich",
    "liest (das|hier|ueberhaupt) ~ (jemand|einer)", "fassungslos", "reicht es", "das letzte mal", "aufgeloest",
    "sprachlos", "empoert", "emporend", "unmoeglich(?!{sep}(zu|ist))", "skandaloes", "mies*",
    "schlecht(er|este)? service",
    "stinkt mir", "keine lust mehr", "ignorier*", "haengen gelassen", "im stich gelassen",
    "unzufrieden", "bodenlos", "(echt|wirklich|total|absolut) (schlecht|mies|schlimm)",
    "das darf (doch )?nicht wahr sein", "reichts( mir)?", "(nicht|ist das) (ihr|dein|euer) ernst",
    "durchdreh*", "kotzt ~ an", "ankotz*", "zum kotzen", "(gegen|mit) (eine|einer|die|der) wand",
    "applaus", "bravo", "(glueckwunsch|gratuliere) ~ (verloren|kunde|kunden)", "(so|wie) ~ (werd|werde) ich behandelt",
    "(verdammt|scheiss|scheisse|bloed|beschissen)*", "schnauze (gestrichen )?voll", "ruiniert", "angepisst",
    "verschaukelt", "allerletzte",
    "wie oft (muss|soll|darf) ich ~ (noch|denn)",
    ("unglaublich(?!{sep}(schnell|gut|toll|nett|freundlich|lecker|schoen|praktisch|hilfreich|bequem|guenstig|"
     "einfach|schoene?n?|schnelle?n?|gute?n?))"),
    # German: Verzweiflung
    "verzweifel*", "weiss (nicht mehr|nicht) weiter", "heul*", "in traenen", "weine", "weinend", "panik*",
    "zittere", "am ende", "angst", "verzweiflung", "hilflos", "ueberfordert", "fix und fertig", "mit den nerven",
)
_ANGER = compile_patterns(p.replace("{sep}", _SEP) for p in ANGER_OR_DISTRESS)
# Downplayed, or about a message the customer received: "a bit annoying", "this SMS a scam"
_NOT_MINE = frozenset({"nur", "just", "bit", "little", "etwas", "sms", "text", "email", "mail", "call", "calls",
                       "message", "nachricht", "anruf", "kein", "keine"})
_DOWNPLAY = re.compile(r"(?<![a-z0-9])(?:no big deal|not a big deal|halb so wild|kein (?:stress|problem|drama)|"
                       r"no worries|no rush|nicht so schlimm)(?![a-z0-9])")
# Faces and gestures of anger or tears: a customer who types these wants a person to read the tone.
_ANGRY_EMOJI = re.compile("[\U0001F92C\U0001F621\U0001F620\U0001F47F\U0001F4A2\U0001F624\U0001F62D\U0001F595]")
# Delight: "LOVE IT!!!", "danke danke", "vor Freude", "the best" — caps and exclamation marks in praise
_DELIGHT = re.compile(r"(?<![a-z0-9])(?:love (?:it|them|this|you)|loving it|(?:the|ur|you(?:re| are| guys are)?) best|"
                      r"amazing|awesome|fantastic|perfect|perfekt|brilliant|thank you so much|thanks so much|"
                      r"danke danke|vielen (?:lieben )?dank|vor freude|freu(?:e|t)? mich|"
                      r"super (?:schnell|toll|zufrieden)|"
                      r"genial|traumhaft|wunderbar|wunderschoen|begeistert|yay|juhu|endlich wieder)(?![a-z0-9])")
# ... unless the praise is sarcastic: "oh brilliant, another automated reply", "vielen Dank auch fuer gar nichts"
_SARCASM = re.compile(r"(?<![a-z0-9])(?:(?:oh|just|how|really|ach|na) "
                      r"(?:brilliant|great|fantastic|wonderful|perfect|lovely|"
                      r"toll|super|klasse|prima)|as always|wie immer|thanks a bunch|fuer (?:gar )?nichts|"
                      r"another (?:automated|automatic|generic|canned)|slow clap)(?![a-z0-9])")
_EXCLAIM = re.compile(r"!{3,}|\?{3,}|(?:\?+!|!+\?)[?!]*")
_CAPS_WORD = re.compile(r"(?<![^\W\d_])[A-ZÄÖÜ]{4,}(?![^\W\d_])")
# Capitals that are names, not shouting
_ACRONYMS = frozenset({"GDPR", "DSGVO", "IBAN", "SEPA", "HTTPS", "HTTP", "SCHUFA", "PAYPAL", "DHL", "UPS", "HERMES",
                       "GMBH", "VDSL", "WLAN", "WIFI", "FRITZ", "ASAP", "BAFIN", "USB", "HDMI", "NOTE", "TODO"})


def escalation_findings(text: str | None) -> list[str]:
    """Words and cues of anger or distress in the customer's message, as they wrote them."""
    folded = fold(text)
    hits = find(folded, _ANGER, unless_before=NEGATORS | _NOT_MINE)
    delighted = bool(_DELIGHT.search(folded.text)) and not _SARCASM.search(folded.text)
    if hits and (_DOWNPLAY.search(folded.text) or delighted) and len(hits) == 1:
        hits = []  # "ich raste aus vor Freude": one anger word in a delighted message is a figure of speech
    found = [h.words for h in hits]
    source = text or ""
    if not found and delighted:
        return []  # capitals and "!!!" of joy are intensity, not escalation
    shouted = [w for w in _CAPS_WORD.findall(source) if w not in _ACRONYMS]
    letters = [c for c in source if c.isalpha()]
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        found.append("the whole message in capitals")
    elif shouted and (len(shouted) >= 2 or len(shouted[0]) >= 5):
        found.append(" ".join(shouted[:3]))
    found += [m.group(0) for m in _EXCLAIM.finditer(source)][:1]
    found += list(dict.fromkeys(_ANGRY_EMOJI.findall(source)))[:2]
    return found


# --- policy and legal language --------------------------------------------------------------------------------

LEGAL_LANGUAGE = (
    # English
    "lawyers?", "attorneys?", "solicitors?", "legal (action|steps|proceedings|advice|team|department|rights)",
    "legally", "lawsuit", "litigation", "(small claims|take (you|this|it) to) ~ court", "(?<!food.)court",
    "(will|ll|going to|gonna|to|i|we|and|or|would|could|shall|can) sue", "suing", "chargebacks?", "charge back",
    ("(bank|card (provider|issuer|company)|credit card company|paypal) ~ (reverse|claw|pull|take|get) ~ "
     "(payment|money|charge)"),
    "(reverse|reversing|claw back|clawing back) (the |my |this )?(payment|charge|transaction|direct debit)",
    "(dispute|disputing|disputed) (the |this |a |my )?(charge|payment|transaction|debit) ~ (bank|card)",
    "(bank|card) ~ (claw|pull|take) ~ back",
    "ombudsm(a|e)n", "ombudsman service",
    "(to|contact|contacting|inform|informing|complain to|report (you|this) to) (the )?regulator",
    "ofcom", "ofgem", "ofwat", "fca", "financial conduct authority", "trading standards", "citizens advice",
    "ftc", "bbb", "better business bureau", "attorney general", "consumer (affairs|council|agency|ombudsman)",
    "(credit card|card) (company|provider|issuer) ~ (disput*|reverse*|claim)",
    "(disputed|dispute) (it|the charge|this)",
    "(claim|claims) under (the )?(guarantee|warranty)", "within (the )?(two|2|one|1|three|3) years?",
    "information commissioner", "ico", "consumer (rights|protection|law|contracts)", "gdpr", "dsar",
    "data protection (law|act|rights?|officer|authority|regulation|request|complaint|breach|reasons)",
    "subject access request", "right (to|of) (erasure|be forgotten|access|object|withdrawal|withdraw|cancel)",
    "(delete|erase|remove) ~ (personal )?data", "(copy of|access to) ~ data", "breach of contract",
    "statutory", "entitled to", "my (legal |consumer )?rights", "cooling ?off", "withdraw from (the|this|my) contract",
    "warranty", "liable", "liability", "damages", "negligen*", "unlawful*", "illegal*", "the law", "by law",
    "police", "section 75", "(under|according to|in accordance with|as stated in|per|of) (our|the|your) (terms|t ?cs)",
    # German
    "(rechts)?anw(a|ae)lt*", "juristisch*", "rechtlich*", "rechtsweg", "rechtsschutz*", "klage (einreichen|erheben)",
    "(eine|die|mit einer|mit) klage", "verklag*", "(zeig|zeige|zeigen) ~ (euch|sie|dich) ~ an",
    "anzeige (erstatten|machen|gegen)",
    "(lastschrift|zahlung|abbuchung) ~ (zurueckgehen|zurueck gehen|platzen) lassen", "rueckbuchung*", "zurueckbuch*",
    "(zahlung|lastschrift|geld|betrag) ~ (zurueckgeholt|zurueckholen|zurueckgebucht)",
    "(lastschrift|abbuchung) ~ widerspr*", "(vor|zu|ans|beim|vom|zum) gericht", "gerichtlich*",
    "(amts|land|mahn)gericht*", "gerichtsverfahren", "mahnbescheid", "verbraucherzentrale", "verbraucherschutz*",
    "verbraucherrecht*", "schlichtung*", "ombuds*", "bundesnetzagentur", "bafin", "aufsichtsbehoerde",
    "dsgvo", "datenschutz(gesetz|grundverordnung|beauftragt*|behoerde|rechtlich*|verstoss*|beschwerde|gruende*)",
    "(nach|laut|gemaess|wegen) (dem )?datenschutz", "auskunft ~ (daten|gespeichert*)",
    "recht auf (loeschung|auskunft|widerruf|ruecktritt|vergessenwerden|erstattung|kuendigung)",
    "(loeschung|loeschen) ~ daten", "vertragsbruch", "widerruf*", "ruecktritt*", "zuruecktreten", "trete ~ zurueck",
    "gewaehrleistung*", "garantieanspr*", "haften", "haftet", "haftung*", "haftbar", "schaden(s)?ersatz*",
    "fernabsatz*", "gesetz*", "verstoss gegen", "(gemaess|laut|nach|entsprechend) ~ agb", "polizei",
    "(straf)?anzeige (erstatten|gegen)", "strafanzeige", "einspruch",
)
_LEGAL = compile_patterns(LEGAL_LANGUAGE)


def legal_findings(text: str | None, extra_terms: Iterable[str] = ()) -> list[str]:
    """Law, rights or regulators brought into the case (and the journey's own policy terms), as written."""
    folded = fold(text)
    found = [h.words for h in find(folded, _LEGAL)]
    return found + found_terms(text, extra_terms, folded)


# --- asking for a person ---------------------------------------------------------------------------------------

_PERSON = ("(person|human|humans|someone|somebody|anyone|agent|representative|rep|manager|supervisor|employee|"
           "staff|operator|advisor|adviser|colleague|people|being|team member|member of staff)")
ASKS_FOR_PERSON = (
    f"(talk|speak|chat|communicate|deal|discuss this) (to|with) ~ {_PERSON}",
    f"(put|transfer|connect|escalate|pass|forward|switch) (me|this|us) ~ {_PERSON}",
    f"(let|have|get|need|want) ~ {_PERSON} ~ (look|check|review|call|ring|contact|handle|help|deal)",
    "(call|ring|phone) (me|us)( back)?", "callback", "call back", "give me a (call|ring|phone call)",
    "^[^a-z0-9]*(transfer|escalate|connect) (me|this)( please| now| pls)?[^a-z0-9]*$",
    "(anyone|anybody|someone|somebody) (there )?(who|that) (isnt|is not|aint|is) (a )?(automated|a bot|bot|real|human)",
    "(on|over) the phone with (one of )?(you|your|a|an|someone|somebody)",
    "(with|to) (one of )?(you guys|your (team|staff|people|colleagues))",
    "(real|actual|live|human) (person|human|agent|people|operator|being)",
    "(is|are) (there|anyone|somebody|someone) ~ (human|person|real|alive)",
    f"{_PERSON} (please|pls|now|asap)", "(operator|agent|human|representative)(?={sep}*!)",
    "(not|no|dont|stop|without) ~ (bots?|chatbots?|robots?|machines?|automated|ai|canned)",
    "(member of|one of) (your )?staff", "(your|a|the) (manager|supervisor)",
    "(like|want|need|request|get|have) (a |an )?(call|callback|phone call|ring)",
    f"(want|need|like|get me|give me) (a|an|to see a|some) (real |actual |live )?{_PERSON}",
    "(anyone|someone|somebody|number) ~ (i|we) (can|could) (call|ring|phone|speak|talk)",
    ("(dont|do not|not|no longer) (want|wish|like) to (talk|chat|speak|deal) (to|with) ~ "
     "(bots?|chatbots?|machines?|robots?|computers?|ai)"),
    # German
    ("(mit )?(einem|einer|einen|ihrem|ihrer|jemandem|jemand|dem|der|echten|richtigen) ~ "
     "(menschen|mensch|person|mitarbeiter*|berater*|ansprechpartner*|sachbearbeiter*|kollegen|kollegin|vorgesetzten|"
     "chef|chefin|teamleit*|supervisor|jemandem) ~ (sprechen|reden|telefonieren|verbinden|besprechen|klaeren)"),
    "jemanden (anrufen|erreichen|sprechen)", "jemand(en)? zum (anrufen|telefonieren|sprechen|reden|quatschen)",
    "jemand(en)? (den|mit dem|bei dem) (ich|man) ~ (anrufen|sprechen|reden|telefonieren|erreichen)",
"telefonnummer ~ (jemanden|mitarbeiter*|mensch*|erreiche*)",
    ("(haette|haetten|moechte|will|wuerde|brauche|suche) ~ "
     "(ansprechpartner*|mitarbeiter*|berater*|menschen|sachbearbeiter*)"),
    "ruf* (sie )?(mich|uns) ~ (zurueck|an)", "zurueckruf*", "rueckruf(e|s|bitte)?", "(mich|uns) ~ anrufen",
    "telefonisch (besprechen|klaeren|waere|bitte|sprechen|erreichen|kontaktieren)", "per telefon",
    "persoenlich (besprechen|sprechen|reden|klaeren)",
    "(verbinden|stellen) sie (mich|uns)",
    "mit (ihrem|ihrer|einem|einer|dem|der) (vorgesetzten|chef|chefin|teamleit*|supervisor)",
    "(verbinden|durchstellen|weiterleiten) ~ (vorgesetzten|mitarbeiter*|menschen|chef|chefin|supervisor|person)",
    "(echte|echten|richtige|richtigen|lebende|lebenden) (menschen|mensch|person|mitarbeiter*|leute|leuten)",
    "(wer|jemand|einer|einen) (echtes|echter|echten|richtiges|richtiger|lebendes) (dran|da)?",
    "hol* ~ (chef|chefin|vorgesetzten|kollegen|kollegin|mitarbeiter*|menschen)",
    "(an|zu) (einen|nen|einem|einer|ne|eine|den|die) (kollegen|kollegin|mitarbeiter*|menschen|experten) ~ "
    "(weiter*|geben|uebergeben|verbinden)",
    "(persoenliches|persoenlichen) (gespraech|telefonat|kontakt|rueckruf)", "(gerne|gern|lieber) telefonisch",
    "mit jemandem (am|per|ueber) telefon", "am telefon (klaeren|besprechen|sprechen|reden)",
    "(bitte )?(einen|ein) (menschen|mitarbeiter|mitarbeiterin|berater)(?={sep}(bitte|kein|nicht|!))",
    "(keine?n?|nicht|ohne|statt) (mit )?(einem |dem |den |der )?(chat)?(bot|roboter|maschine|ki|computer)",
)
_ASKS = compile_patterns(p.replace("{sep}", "[^a-z0-9]") for p in ASKS_FOR_PERSON)
# A contact already had, or the person the customer is, is not a request now
_PAST_OR_SELF = frozenset({"spoke", "talked", "had", "was", "already", "yesterday", "gestern", "schon", "bereits",
                           "im", "am", "habe", "hatte", "mein", "meinem", "meiner", "meinen", "sales", "who", "whos",
                           "curious"})
_DECLINED_AFTER = (re.compile(r"(?:is )?(?:not|nicht|no longer) "
                              r"(?:needed|necessary|required|noetig|notwendig|erforderlich)"),
                   re.compile(r"(?:unnoetig|nicht noetig|ueberfluessig)"))


# A message of one word asking for someone: "agent", "Operator!", "Mitarbeiter bitte!"
_JUST_A_PERSON = re.compile(r"^[^a-z0-9]*(?:(?:a |an |einen? )?(?:agent|human|representative|rep|operator|person|"
                            r"supervisor|manager|mensch|menschen|mitarbeiter|mitarbeiterin|berater|beraterin|"
                            r"kundenberater|sachbearbeiter)(?: please| pls| bitte| now| jetzt)?[^a-z0-9]*)+$")


def person_request_findings(text: str | None) -> list[str]:
    """The words in which the customer asks for a person now (not declined, not a past contact)."""
    folded = fold(text)
    if _JUST_A_PERSON.match(folded.text):
        return [folded.source.strip()]
    hits = find(folded, _ASKS, unless_before=NEGATORS - {"not", "no", "dont", "without"} | _PAST_OR_SELF,
                unless_after=_DECLINED_AFTER)
    hits = [h for h in hits if not _declined(folded, h)]
    return [h.words for h in hits]


def _declined(folded: Folded, hit: Hit) -> bool:
    """"No need to call me back", "don't call me back": a negation before a call request declines it; before a
    bot ("no bot please") it asks for a person, and is part of the pattern."""
    if re.match(r"(?:not|no|dont|stop|without|keine?n?|nicht|ohne|statt)\b", folded.text[hit.start:hit.end]):
        return False
    before = words_before(folded, hit.start)
    return bool({"not", "no", "dont", "without"}.intersection(before))


# --- promises in a draft ---------------------------------------------------------------------------------------

PROMISES = (
    # English
    "guarantee*", "definitely", "certainly (will|be|get)", "(certain|sure) to", "for sure", "without fail",
    "no matter what", "whatever (happens|the)", "for life", "forever", "for ever", "never again",
    "permanently", "for good", "(you have|i give you) my word", "(i|we) promise", "promised", "rest assured",
    "(i|we) assure", "assured", "100 ?% (sure|certain|guaranteed|guarantee)",
    "(waive|waived|waiving) ~ (fees?|charges?|costs?)",
    "cover (the|all|your) ~ (costs?|expenses?|bills?)", "(pay|paying) for your", "compensat*", "free of charge for",
    "(free|complimentary) for (life|ever|a year|\\d+ (months|years))", "locked in",
    ("will be (reversed|refunded|credited|fixed|resolved|delivered|repaired|back) "
     "(today|tomorrow|by|within|first thing)"),
    "as a (thank you|goodwill gesture|gesture of goodwill)", "on us",
    "make sure ~ (never|wont|not|doesnt|get|receive|is)", "(never|wont|not) be charged ~ (again|ever)", ", ever",
    "(give|giving|add|adding|credit|crediting|send|sending|offer you) ~ (credit|voucher|gift card|discount|bonus)",
    "as an apology", "to make up for", "without (a|any) doubt", "absolutely (be|will|get|fixed)", "will absolutely",
    "(can|could) assure",
    "(we will|well|we are going to|i will|ill) ~ (pay for|cover|reimburse|refund|replace|compensate)",
    "(we will|well|we ll) cover", "waive*", "on the house", "(at|for) no (extra )?cost to you",
    ("(you will|youll) (receive|get|have) ~ (refund|money back|money|credit|replacement|compensation) ~ "
     "(by|today|tomorrow|before|on (monday|tuesday|wednesday|thursday|friday|saturday|sunday))"),
    "(wont|will not|never) happen again", "count on (it|us|me)", "consider it done",
    "(added|adding|add|give|given|giving|credited|crediting) ~ free (months?|weeks?|year|years)",
    "(wont|will not) be charged for", "knock* ~ off",
    "by (monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|the end of (the )?(day|week)) at the latest",
    "(ll|will) be (with you|there|delivered|back|in your account|credited|refunded) ~ "
    r"(tomorrow|today|tonight|by|before|on (monday|tuesday|wednesday|thursday|friday|saturday|sunday|the \d+|\d+))",
    ("(money|refund|payment|credit) (will be|is going to be) (back|in your account|credited|with you) ~ "
     "(on|by|before|tomorrow|today)"),
    "(personally|myself) (make sure|ensure|see to it|flagged|guarantee)", "(have|has) my word", "my word on",
    "(wont|will not|will never) be (charged|billed) (for|again)",
    # German
    "garantier*", "versprech*", "verspreche", "versprochen", "auf jeden fall", "ganz sicher", "mit sicherheit",
    "definitiv", "todsicher", "100 ?% sicher", "egal was", "ohne wenn und aber",
    "(darauf|da) koennen sie sich ~ verlassen",
    "verlassen sie sich", "fuer immer", "dauerhaft", "lebenslang", "nie wieder", "niemals wieder",
    "ganz bestimmt", "bestimmt nicht (wieder|mehr)", "(schreiben|schreibe) ~ gut", "gutschrift (ueber|von|in hoehe)",
    "wiedergutmachung", "(erhalten|bekommen|schenken|schicken|senden) ~ gutschein*", "(uebernehmen|uebernehme) wir",
    "sorge ~ dafuer", "sorgen ~ dafuer", "zugesagt", "verzicht* ~ (gebuehr*|kosten|stornogebuehr*|mahngebuehr*)",
    "(kulanz|kulanzweise|aus kulanz)", "kostenlos (nach|zurueck|ersetzt|getauscht)", "ersetzen wir",
    "entfaellt (fuer sie)?", "(sich|sie sich) ~ verlassen", "keine (gebuehren|kosten) mehr",
    "als (entschaedigung|wiedergutmachung|dankeschoen|kulanz)", "entschaedigung",
    "kostenlos ~ (ein jahr|jahr lang|lebenslang|fuer immer|monate)",
    "(erlassen|erlasse|streichen) ~ (gebuehren|kosten|mahngebuehren)",
    "[a-z]*(gebuehr|gebuehren|kosten|zinsen) (erlassen|streichen|schenken|erstatten|uebernehmen) wir",
    "(uebernehmen|erstatten) ~ (kosten|hotel|vollen betrag|gesamten betrag)",
    "selbstverstaendlich ~ (erstatten|zurueck|uebernehmen|kostenlos|erlassen|gutgeschrieben|ersetzt)",
    # compounds: Versandkosten, Reparaturkosten, Hotelkosten
    "(uebernehmen|uebernehme|erstatten|erstatte|ersetzen|tragen) ~ [a-z]*kosten",
    "(uebernehmen|erstatten|ersetzen|tragen) (ihnen|wir) (selbstverstaendlich|natuerlich|gerne|auch) ~ [a-z]*kosten",
    "bestimmt (bis|morgen|heute|noch|schon|rechtzeitig|am|zum|innerhalb)", "(sichere|sichern) ~ zu", "zusicher*",
    "(nicht|nie|niemals) (wieder|mehr) vorkommen", "fest (damit )?rechnen", "(schenken|schenke) (ihnen|dir)",
    "(gebuehr*|mahngebuehr*|kosten) (wird|werden) ihnen ~ (erlassen|gestrichen)",
    "spaetestens ~ (ist|sind|haben sie|erhalten sie|bekommen sie|wird|kommt|liegt)",
    "ist in ~ (stunden|tagen) erledigt",
    "(haben sie|gebe ich ihnen|hast du) mein wort", "mein (ehren)?wort",
    "(kuemmere|kuemmern) (mich|uns) (persoenlich|selbst)", "persoenlich ~ (darum|drum|dafuer)",
    "(ist|sind|kommt|kommen|liegt) ~ (spaetestens|garantiert|sicher|bestimmt) ~ (am|bis|bei ihnen|auf ihrem konto)",
    "spaetestens (am|bis|zum) ~ (auf ihrem konto|bei ihnen|erstattet|da|zurueck|gutgeschrieben)",
    "(nicht|kein) (mehr )?(berechnet|in rechnung gestellt|abgebucht) (wird|werden)",
    "(tauschen|ersetzen|reparieren|schicken|senden) ~ kostenlos", "kostenlos (um|aus)(tauschen)?",
    "(garantie|gewaehrleistung) ~ (abgelaufen|vorbei) ~ (trotzdem|dennoch|kostenlos|aber)",
    "(kommt|kommen) ~ morgen ~ zwischen",
)
_PROMISE = compile_patterns(PROMISES)
# Quoting the customer's question is not a promise: "you asked whether we promise ..."
_QUOTING = frozenset({"whether", "if", "asked", "ask", "ob", "fragten", "gefragt", "fragen", "unable", "leider",
                      "hoping", "hoped", "requested", "wished", "gehofft", "gewuenscht", "wuenschen"})
# Hedges make an expectation of the published process, not a commitment: "erstatten wir in der Regel ..."
_HEDGES = frozenset({"usually", "normally", "typically", "generally", "normalerweise", "voraussichtlich",
                     "regel", "meist", "meistens", "ueblicherweise"})
# A deadline the customer is asked to meet ("please send it back by Monday at the latest") binds the customer
_INSTRUCTION = frozenset({"please", "send", "return", "reply", "respond", "let", "pay", "bitte", "senden", "schicken"})


def promise_findings(text: str | None) -> list[str]:
    """Commitments in a draft that the case does not establish, as the draft words them."""
    folded = fold(text)
    hits = find(folded, _PROMISE, unless_before=NEGATORS | _QUOTING)
    return [h.words for h in hits
            if not _QUOTING.intersection(words_before(folded, h.start, count=8, window=120))
            and not _HEDGES.intersection(words_after(folded, h.end, count=4))
            and not ("latest" in h.words.lower() and _INSTRUCTION.intersection(words_before(folded, h.start, 8)))]


# --- vulnerability ---------------------------------------------------------------------------------------------

_KIN = ("(husband|wife|partner|mother|mum|mom|father|dad|son|daughter|child|baby|brother|sister|grandma|grandmother|"
        "grandfather|grandad|grandpa|friend|he|she|fiance|fiancee|mann|frau|mutter|vater|sohn|tochter|kind|bruder|"
        "schwester|oma|opa|freund|freundin|lebensgefaehrt*|er|sie|papa|mama|"
        # a pet's death is a bereavement too
        "dog|cat|hund|katze|kater|huendin|pony|pferd|horse)")
VULNERABILITY = (
    # bereavement
    "passed away", "pass(ed)? on", "(has |had |just )?died", f"{_KIN} ~ (died|dead|gestorben|verstorben|tot)",
    "death", "deceased", "bereave*",
    "funeral(?!{sep}(sprays?|wreaths?|arrangements?|tributes?|stock|range|orders?|collection|catalogue))", "widow*",
    "stillborn", "miscarriage", f"lost my {_KIN}",
    f"(my )?late {_KIN}s?", "(late|deceased) ~ estate", "estate of (my|the late|our)",
    (f"(since|seit) (my|mein|meine|meinem|meiner) {_KIN} ~ "
     "(went|is gone|has gone|left us|nicht mehr (da|hier|bei uns) ist)"),
    f"{_KIN} ~ nicht mehr (da|hier|bei mir|bei uns) ist", "grief", "grieving", "probate", "executor", "verstorben*",
    "gestorben", "todesfall",
    "tod", "trauer(?!kr|flor|gesteck)", "trauerfall", "beerdigung", "bestattung", "witwe*", "verwitwet",
    "fehlgeburt", "totgeburt", "sternenkind", "von uns gegangen", f"{_KIN} ~ nicht mehr (lebt|am leben)",
    # "since my wife passed", but not "my son passed his exam"
    f"{_KIN} passed(?!{{sep}}(away|on|his|her|their|the|my|a|an|by|through|it|me|us|them|with|all|out|over)"
    "(?![a-z0-9]))",
    # loneliness and reliance on the bot
    "lonely", "loneliness", "all alone", "(live|living) alone", "(only|nobody|no one|noone) ~ (talk|speak|chat) to",
    "(understand|understands|get|gets) me better", "always (being )?(here|there) for me",
    "(for )?(always )?being (here|there)",
    "my (only|best) friend", "no one else", "nobody else", "(talk|chat)(ting)? (to|with) you every",
    "i love you", "einsam*", "allein(e)? (lebe|bin|wohne)", "niemanden (mehr )?(zum|mit dem)", "nur (noch )?(mit )?dir",
    "verstehst mich", "(koennen|koennten|duerfen) wir (noch )?(ein bisschen|ein wenig|etwas|kurz) (weiter )?"
    "(schreiben|reden|plaudern|quatschen|chatten)",
    "(can|could) we (just )?(keep )?(talk|chat|talking|chatting) (a bit|a little|for a (bit|while)) (more|longer)?",
    "so (still|quiet|leer|empty) (hier|here|im haus|in the house|without)", "du (bist )?immer (fuer mich )?da",
    "dass du immer da bist",
    "(mein|meine) (einziger|einzige|bester|beste) (freund|freundin)",
    "(talking|chatting) (to|with) you ~ (best|only|highlight)", "(feel|felt|feeling|am|im) (so |very |really )?alone",
    "nobody cares about me", "no friends", "(du bist|sie sind) ~ (der|die|das) (einzige|einzigen?)",
    "einzigen? (mit dem|mit der|dem|der|bei dem) ich ~ (rede|spreche|schreibe|reden kann)",
    "(bin|lebe|wohne) ich ~ allein(e)?", "wenigstens (jemand|einer) (antwortet|zuhoert|da ist)",
    "(weiss|wusste) (echt |wirklich )?nicht mehr weiter", "waechst mir ~ (ueber den kopf|zu viel)",
    "(der|die) einzige ~ (rede|spreche)",
    "(the )?only (one|person|thing) (who|that) (listens|talks to me|cares|understands|i talk to)",
    "(bist du|sind sie) (der|die|das) (einzige|einzigen?)", "einzigen? ~ (zuhoert|zuhoeren)",
    "mit niemandem (mehr )?(rede|spreche|reden|sprechen)",
    "(keiner|niemand) ~ (mehr )?mit mir (redet|spricht|reden|sprechen|schreibt)",
    "(redet|spricht|schreibt|meldet sich) ~ (keiner|niemand) ~ (mit|bei) mir",
    "(keiner|niemand) (redet|spricht) ~ mit mir", "(rede|spreche) ~ mit niemandem",
    "ganz allein", "fuehle mich ~ allein", "niemand (mehr )?(da|hat)", "keine freunde",
    # financial hardship
    "lost my (job|income|work)", "unemployed", "redundan*", "laid off",
    "(cant|cannot|unable to|not able to|struggling to) pay",
    "cant afford (to|food|rent|the bills|my (rent|bills))", "behind (on|with) (the |my )?(rent|bills|payments)",
    "arrears", "debts?", "in debt", "bankrupt*", "insolven*", "universal credit", "(on|claiming) benefits",
    "food ?banks?", "skipping meals", "cant feed", "payday loan", "bailiffs?", "evict*", "hardship",
    "struggling (financially|with money|to make ends meet)", "out of work",
    "(cant|cannot) cover (the|my) (direct debit|bills|rent|payments?|instalments?)",
    "hinten und vorne nicht", "geld reicht (nicht|kaum)", "burn ?out", "make ends meet", "(job|arbeit|stelle) verloren",
    "arbeitslos*", "gekuendigt (worden|wurde)", "mir wurde gekuendigt", "kurzarbeit",
    "kann ~ nicht (mehr )?(be)?zahlen",
    "rueckstand", "mietrueckstand", "mietschulden", "schulden", "verschuldet", "privatinsolvenz", "buergergeld",
    "hartz", "sozialhilfe", "grundsicherung", "wohngeld", "tafel", "(esse|essen) ~ kaum",
    "kaum (noch )?(essen|esse|zu essen)",
    "pfaendung", "gerichtsvollzieher", "zwangsraeumung", "geldnot", "finanziell ~ (schwierig|am ende|eng|probleme|not)",
    "knapp bei kasse", "pleite",
    # health crises
    "(in|from|into|to) (the )?hospital", "hospitali[sz]ed", "(had|have|suffered) (a )?stroke", "heart attack",
    "cancer", "chemo*", "panic attacks?", "anxiety attacks?", "panikattacke*", "dement*", "verwirrt", "terminal*",
    "diagnosed", "dementia", "alzheimer*", "surgery", "intensive care",
    "mental health", "depress*", "anxiety", "suicid*", "kill myself", "end it all", "self harm",
    "(dont|do not) ~ see (the|any) point", "no point (in )?(anything|living|going on)", "cant go on", "cant cope",
    "not coping", "(seriously|terminally|very|critically|gravely) ill", "illness", "palliative", "hospice",
    "carer", "disabled", "disability", "krankenhaus", "klinik", "nach (einer|meiner|der) op", "operation",
    "krebs", "schlaganfall", "herzinfarkt", "demenz", "pflegefall", "pflegeheim", "pflegegrad", "depression*",
    "psychisch*", "suizid*", "umbringen", "alles egal", "wie es weitergehen soll", "keinen sinn mehr",
    "schwer krank", "schwerkrank", "intensivstation", "behindert*", "behinderung",
    "(hard|difficult|tough|rough) time ~ (mentally|emotionally)", "mentally", "want (it all|everything) to (stop|end)",
    "(cant|cannot) (take|handle|do) (this|it) any ?more", "breakdown", "overwhelmed", "pflegebeduerftig*",
    # care of a person, not "Pflegeanleitung" or "Pflegeprodukte"
    "pflege(fall|heim|grad|dienst|kasse|stufe|bett|kraft|bedarf|stelle)", "pflege (meine|meinen|meinem)",
    "schaffe (das )?(alles )?nicht mehr", "keine kraft", "unfall", "accident", "geht es ~ (schlecht|mies)",
    "care home", f"caring for (my )?{_KIN}", "recovering from", "(been|am|im) (really |very |seriously )?ill",
    "im sterben",
    "(barely|hardly) afford", "single (mum|mom|parent|mother|father) ~ (struggling|cant|cannot)",
    "jobcenter", "sozialamt",
    "rente ~ reicht (nicht|kaum)", "alleinerziehend*",
    # great age and need of help
    "(i am|im|ich bin) (7[5-9]|8[0-9]|9[0-9]|1[01][0-9])( years| jahre)?", "elderly", "pensioner",
    ("(grandad|grandpa|grandma|granny|nan|nana|gran|grandmother|grandfather|mum|mom|mother|dad|father|oma|opa|"
     "mutter|vater|mama|papa) (is|ist|turned|wird) (now |schon |jetzt )?(8[0-9]|9[0-9]|10[0-9])"),
    "(on behalf of|for|fuer|im namen) (my|meine|meinen|meinem|meiner) ~ (dement*|demenz*|mother|father|mutter|vater|"
    "grandma|grandad|grandpa|grandmother|grandfather|oma|opa) ~ (dementia|confused|dement*|verwirrt|pflege*|hospital)",
    "(sonst |normalerweise )?(macht|hilft) (das )?(mir )?(mein|meine) (enkel|enkelin|sohn|tochter)",
    "(my )?(grandson|granddaughter|son|daughter) (usually|normally|always) (does|helps|sorts)",
    "not good with computers",
)
_VULNERABLE = compile_patterns(p.replace("{sep}", _SEP) for p in VULNERABILITY)
# The words in a working sense ("I work night shifts at the hospital") or negated
_WORK = frozenset({"work", "works", "working", "shift", "shifts", "arbeite", "arbeitet", "job", "nurse", "florist",
                   "client", "clients", "customer", "customers", "kunden", "kundin",
                   "floristin", "phone", "battery", "akku", "handy", "krankenschwester", "pfleger", "pflegerin",
                   # machines die too: "my laptop died", "der Drucker ist gestorben"
                   "laptop", "computer", "pc", "printer", "drucker", "router", "tv", "fernseher", "car", "auto",
                   "heater", "boiler", "heizung", "screen", "bildschirm", "fridge", "kuehlschrank", "light"})


def vulnerability_findings(text: str | None) -> list[str]:
    """Bereavement, loneliness or reliance on the bot, hardship, a health crisis or great age, as written."""
    folded = fold(text)
    return [h.words for h in find(folded, _VULNERABLE, unless_before=NEGATORS | _WORK)]


# --- journey terms ---------------------------------------------------------------------------------------------

def found_terms(text: str | None, terms: Iterable[str], folded: Folded | None = None) -> list[str]:
    """The plain terms (a journey's policyTerms) that occur in the text, whole-word at the start, as written."""
    terms = [t for t in terms if t and t.strip()]
    if not text or not terms:
        return []
    folded = folded or fold(text)
    found = []
    for term in terms:
        words = re.findall(r"[a-z0-9]+", fold(term).text)
        if not words:
            continue
        pattern = re.compile(r"(?<![a-z0-9])" + _SEP.join(re.escape(w) for w in words))
        match = pattern.search(folded.text)
        if match:
            found.append(folded.quote(match.start(), match.end()))
    return found


# --- PII in a draft --------------------------------------------------------------------------------------------

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,4})?"
                   r"(?![A-Za-z0-9])")
# Issuers' numbers start with 2-6; a leading 0 or + is a phone number.
_CARD = re.compile(r"(?<![\d+])[2-6](?:\d[ .-]?){11,17}\d(?!\d)")
_CARD_GROUPED = re.compile(r"^\d{4}([ .-])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?$|^\d{4}([ .-])\d{6}\2\d{4,5}$")
_CARD_CONTEXT = re.compile(r"(?:card|karte|kreditkarte|kartennummer|visa|mastercard|amex|debit|credit|cc)\W{0,20}$",
                           re.IGNORECASE)
_NOT_CARD_CONTEXT = re.compile(r"(?:order|tracking|parcel|shipment|reference|ticket|case|contract|customer|invoice|"
                               r"voucher|bestell|sendung|paket|referenz|vorgang|vertrag|kunden|rechnung|gutschein)"
                               r"\w*\W{0,12}(?:(?:no|nr|number|nummer|id)\W{0,5})?(?:(?:is|ist|lautet|reads)\W{1,5})?$",
                               re.IGNORECASE)
# Starts only where a word starts and bounds each part (RFC 5321 lengths): without that, a long run of
# "a.a.a..." with no @ costs quadratic time (20,000 characters took 1.5 s).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_OBFUSCATED_AT = re.compile(r"[ ]?[(\[{][ ]?(?:at|ät|@)[ ]?[)\]}][ ]?", re.IGNORECASE)
_OBFUSCATED_DOT = re.compile(r"[ ]?[(\[{][ ]?(?:dot|punkt)[ ]?[)\]}][ ]?", re.IGNORECASE)
# A phone starts with + or 00 and a country code, or 0 and an area code; never inside a longer run of digit groups
# German writes "0151 / 234 567 89", "+49 (0) 30 / 1234 5678" and "(030) 765 43 21"
_PHONE = re.compile(r"(?<![\w+])(?<!\d[ /.-])(?:\+|00)[1-9]\d{0,2}(?:[ /.-]{0,3}(?:\(0\)[ ]?)?\d{1,5}){1,5}(?!\d)"
                    r"|(?<![\w.+])(?<!\d[ /.-])0[1-9]\d{1,4}(?:[ /.-]{1,3}\d{2,8}){1,3}(?!\d)"
                    r"|(?<![\w.+])\(0[1-9]\d{1,4}\)[ /.-]{0,3}\d{2,8}(?:[ /.-]{1,3}\d{2,8}){0,3}(?!\d)"
                    r"|(?<![\w.+])0[1-9]\d{8,11}(?!\d)")
_DATE_LIKE = re.compile(r"^\d{1,2}[./-]\d{1,2}(?:[./-]\d{2,4})?$")
# Mailboxes and lines of a business, not of a person: the company's own contacts and other firms' service desks.
_ROLE_MAILBOX = re.compile(r"^(?:support|service|kundenservice|kundendienst|customerservice|customer-service|help|"
                           r"hilfe|info|kontakt|contact|hello|hallo|noreply|no-reply|billing|rechnung|buchhaltung|"
                           r"datenschutz|privacy|dpo|returns|retoure|team|care|feedback|sales|vertrieb|office)"
                           r"(?:[.+-][\w.+-]*)?@", re.IGNORECASE)
# Freephone and shared-cost service numbers (DE 0800/0180x, UK 0800/0808/084x/087x): lines of a business.
_SERVICE_LINE = re.compile(r"^0(?:80[0-9]|180|84[0-9]|87[0-9])")
_SERVICE_WORDS = re.compile(r"(?:hotline|service ?line|servicenummer|service-nummer|kundenservice|customer service|"
                            r"support|helpline|our (?:team|number|line)|unser(?:e|er)? (?:team|nummer|hotline))"
                            r"\W{0,40}(?:\w+\W+){0,4}$", re.IGNORECASE)


_SERVICE_AFTER = re.compile(r"\W{0,5}(?:\(?(?:our|unsere?r?|the|die|der)\s)?(?:hotline|service ?line|servicenummer|"
                            r"kundenservice|customer service|support|helpline|freephone|kostenlos|gebuehrenfrei|"
                            r"gebührenfrei)", re.IGNORECASE)
# "anna at example dot com", "anna (at) example (dot) com": an address spelled out to get past filters
_SPELLED_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]{1,64}) (?:at|ät) ([\w-]{1,63}) (?:dot|punkt) ([a-z]{2,10})(?![\w])",
                            re.IGNORECASE)


# Domestic bank details: a bank code (UK sort code, German BLZ) and an account number are as good as an IBAN.
_BANK_CODE = re.compile(r"(?:sort ?code|bankleitzahl|blz)\W{0,5}\d{2}[ -]?\d{2}[ -]?\d{2}(?:[ ]?\d{2})?(?!\d)",
                        re.IGNORECASE)
_ACCOUNT_NUMBER = re.compile(r"(?:account (?:number|no)|kontonummer|konto-?nr|kto-?nr)\W{0,5}\d{6,10}(?!\d)",
                             re.IGNORECASE)
_SPACED_AT = re.compile(r"(?<=[\w.])[ ]@[ ](?=[\w-])")


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    checksum = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        checksum += digit
    return checksum % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _is_card(match: re.Match[str], text: str) -> bool:
    """A number passing Luhn is a card only when it looks like one (grouped in fours) or the text calls it one:
    parcel and order numbers pass Luhn by chance one time in ten."""
    number = match.group(0)
    if not luhn_valid(number):
        return False
    before = text[max(0, match.start() - 40):match.start()]
    if _CARD_CONTEXT.search(before):
        return True
    return bool(_CARD_GROUPED.match(number)) and not _NOT_CARD_CONTEXT.search(before)


def pii_findings(text: str | None, own_email: str | None = None, own_phone: str | None = None) -> list[str]:
    """What an outgoing draft must not carry: IBANs, card numbers, other people's emails and phones."""
    if not text:
        return []
    findings = [f"IBAN {m[:4].upper()}…" for m in _IBAN.findall(text) if iban_valid(m)]
    # Anything shaped like an IBAN, valid or not, is an account number: its digits are no card.
    rest = _IBAN.sub(lambda m: " " * len(m.group(0)), text)
    cards = [m for m in _CARD.finditer(rest) if _is_card(m, rest)]
    findings += [f"card number …{_digits(m.group(0))[-4:]}" for m in cards]
    if _BANK_CODE.search(text) and _ACCOUNT_NUMBER.search(text):
        findings.append("bank account number")
    readable = _OBFUSCATED_DOT.sub(".", _OBFUSCATED_AT.sub("@", _SPACED_AT.sub("@", text)))
    readable = _SPELLED_EMAIL.sub(lambda m: f"{m.group(1)}@{m.group(2)}.{m.group(3)}", readable)
    for email in _EMAIL.findall(readable):
        if own_email and email.lower() == own_email.lower():
            continue
        if _ROLE_MAILBOX.match(email):
            continue
        findings.append(f"third-party email {email}")
    own = _digits((own_phone or "").replace("(0)", ""))
    # Account and card numbers are not phone numbers, valid or not: take them out before looking for phones.
    for card in reversed(cards):
        rest = rest[:card.start()] + " " * (card.end() - card.start()) + rest[card.end():]
    for match in _PHONE.finditer(rest):
        raw = match.group(0).strip()
        number = _digits(raw.replace("(0)", ""))
        if len(number) < 7 or _DATE_LIKE.match(raw):
            continue
        if own and (number.endswith(own[-9:]) or own.endswith(number[-9:])):
            continue
        if raw.startswith(("+", "00")):
            national = re.sub(r"^(?:49|44|43|41)", "0", number[2:] if raw.startswith("00") else number)
        else:
            national = number
        before, after = rest[max(0, match.start() - 80):match.start()], rest[match.end():match.end() + 40]
        if _SERVICE_LINE.match(national) or _SERVICE_WORDS.search(before) or _SERVICE_AFTER.match(after):
            continue
        if _NOT_CARD_CONTEXT.search(before):  # an order or customer number that starts with 0
            continue
        findings.append(f"third-party phone …{number[-3:]}")
    return findings
