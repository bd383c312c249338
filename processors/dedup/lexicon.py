"""Word lists for complaint fingerprints: Italian and English stopwords and a small bilingual
lexicon of complaint concepts.

The concept lexicon is what lets "c'è una voragine" meet "there is a pothole": every word of a
group is replaced by the group's name before texts are compared. It covers the things the
taxonomy's categories are about, not the language at large; extend it when operators see
rewordings that should have met. Words are written as citizens write them; they are stemmed
at import with the same stemmer as the texts, so singular and plural need not both be listed.
"""


def _wordlist(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS_IT = _wordlist(
    """
    a ad al allo ai agli all alla alle con col coi da dal dallo dai dagli dall dalla dalle di
    del dello dei degli dell della delle in nel nello nei negli nell nella nelle su sul sullo
    sui sugli sull sulla sulle per tra fra il lo la i gli le l un uno una un' e ed o od ma se
    perche perché anche come dove quando quale quali quanto quanta quanti quante che chi cui
    non piu più meno molto molti molta molte poco tutto tutti tutta tutte ogni questo questa
    questi queste quello quella quelli quelle qui qua li là lì ci vi ne si mi ti ce ve me te
    se lui lei noi voi loro io tu mio mia miei mie tuo tua suo sua suoi sue nostro nostra
    nostri nostre vostro vostra sono sei è e' siamo siete era erano sia stato stata stati
    state essere ho hai ha abbiamo avete hanno aveva avevano avere fa fare fatto già gia
    ora oggi ieri sempre mai dopo prima poi invece quindi pero però cosi così solo
    gentile gentili buongiorno buonasera salve egregio egregi spettabile spett cordiali
    saluti distinti grazie ringrazio cordialmente comune ufficio segnalo segnalare
    segnalazione vorrei chiedo richiedo prego scrivo scrivere sottoscritto sottoscritta
    oggetto mail email messaggio c è c'è circa presso davanti vicino altezza angolo
    via viale piazza piazzale corso largo vicolo civico numero n nr
    """
)

STOPWORDS_EN = _wordlist(
    """
    a an the and or but if of to in on at by for with from into onto over under about as is
    are was were be been being am do does did doing have has had having it its it's this that
    these those there here i me my mine we us our you your he him his she her they them their
    what which who whom whose when where why how all any both each few more most other some
    such no nor not only own same so than too very can will just should would could may might
    must shall also still now then once yet already up down out off near front
    dear sir madam hello hi regards kind best thanks thank please sincerely yours faithfully
    writing write report reporting complaint complain council city office email mail message
    street avenue st ave no number
    """
)

# Number words say "how long" or "how many", rarely "what"; and "tre" would meet "tree".
NUMBER_WORDS = _wordlist(
    """
    uno due tre quattro cinque sei sette otto nove dieci venti trenta cento mille primo
    secondo terzo one two three four five six seven eight nine ten twenty thirty hundred
    first second third
    """
)

STOPWORDS = STOPWORDS_IT | STOPWORDS_EN | NUMBER_WORDS

CONCEPTS: dict[str, str] = {
    "pothole": "buca buche voragine dissesto avvallamento cratere pothole crater sinkhole hole",
    "sidewalk": "marciapiede marciapiedi sidewalk pavement footpath kerb curb cordolo",
    "road": "strada carreggiata asfalto manto road asphalt roadway tarmac",
    "manhole": "tombino chiusino caditoia grata manhole drain grate gully",
    "streetlight": (
        "lampione lampioni illuminazione lampada palo luce luci streetlight lamppost lamp light "
        "lighting pole"
    ),
    "dark": "buio spento spenta spenti oscurità dark darkness unlit",
    "traffic_light": "semaforo semafori signal",
    "sign": "cartello segnaletica segnale strisce sign signage markings",
    "cycle": "ciclabile bicicletta bici cycle bike bicycle cyclist",
    "tree": "albero alberi ramo rami potatura tronco tree branch branches pruning trunk",
    "park": "parco giardino giardini aiuola prato erba garden lawn grass flowerbed",
    "playground": "giochi altalena scivolo playground swing slide",
    "bench": "panchina bench",
    "rubbish": (
        "rifiuti spazzatura immondizia sacchetti sacco cassonetto bidone cestino pattumiera "
        "garbage trash rubbish litter bin bins waste dumpster skip"
    ),
    "collection": "raccolta ritiro collection pickup collected",
    "dumping": "materasso materassi ingombranti calcinacci dumped dumping mattress flytipping",
    "dirty": "sporco sporca sporcizia escrementi dirty filthy mess",
    "graffiti": "graffiti scritte imbrattato vandalizzato tag",
    "rats": "topi topo ratti ratto pantegana rats rat mice mouse rodents",
    "insects": "zanzare zanzara blatte scarafaggi vespe mosquitoes cockroaches wasps insects",
    "pigeon": "piccioni piccione pigeons pigeon",
    "dog": "cane cani randagio dog dogs stray",
    "smell": "puzza odore odori miasmi smell stink stench odour odor",
    "smoke": "fumo fumi smoke fumes smog",
    "asbestos": "amianto eternit asbestos",
    "water": "acqua idrico water",
    "leak": "perdita perde perdite gocciola leak leaking leaks burst",
    "flood": "allagamento allagata allagato allagamenti flood flooded flooding",
    "sewer": "fogna fognatura fognature scarico sewer sewage",
    "fountain": "fontanella fontanelle fontana vedovella fountain",
    "bus": "autobus bus pullman filobus navetta coach trolleybus",
    "tram": "tram tramvia binari tracks",
    "metro": "metropolitana metro subway underground tube",
    "stop": "fermata pensilina stop shelter",
    "ticket": "biglietto abbonamento ticket pass",
    "late": "ritardo ritardi ritardato saltato soppressa late delay delayed skipped cancelled",
    "car": "auto macchina automobile veicolo vettura car cars vehicle",
    # "park" is parking: an English "park" (the noun) stems alike and is rarer in complaints.
    "parking": "parcheggio parcheggiata parcheggiate parcheggiato sosta parked parking park",
    "abandoned": "abbandonato abbandonata abbandonati rottame carcassa abandoned derelict wreck",
    "noise": "rumore rumori rumoroso schiamazzi chiasso musica casino noise noisy loud music",
    "night": "notte notturno sera night evening",
    "danger": "pericolo pericoloso pericolosa rischio insicuro danger dangerous unsafe hazard risk",
    "fall": "caduta caduto caduta cadere inciampato inciampata fell fall tripped trip",
    "injury": "ferito ferita ferite frattura injured injury hurt fracture",
    "broken": (
        "rotto rotta rotti guasto guasta danneggiato danneggiata divelto broken damaged faulty "
        "smashed"
    ),
    "deep": "profonda profondo profondità enorme grande deep huge large big",
    "elderly": "anziano anziana anziani pensionato elderly pensioner",
    "mother": "madre mamma mother mum",
    "disability": "disabile disabili disabilità carrozzina handicap disabled disability wheelchair",
    "lift": "ascensore elevatore lift elevator escalator escalators",
    "heating": "riscaldamento caldaia termosifoni termosifone heating boiler radiator radiators",
    "damp": "umidità muffa infiltrazione infiltrazioni damp mould mold",
    "canteen": "mensa pasto pasti menù cibo canteen meal meals lunch food",
    "school": "scuola scuole asilo nido scolastico school nursery",
    "tax": "tassa tasse tari imu tributo tributi tax taxes",
    "bill": "bolletta avviso pagamento importo bill notice payment invoice amount",
    "identity_card": "identità cie documento identity passport",
    "appointment": "appuntamento prenotazione prenotare appointment booking book",
    "queue": "coda code fila attesa queue wait waiting",
    "week": "settimana settimane week weeks fortnight",
    "month": "mese mesi month months",
    "day": "giorno giorni day days",
    "urgent": "urgente urgenza subito urgent urgently immediately asap",
    "again": "ancora nuovamente ennesima ripetutamente sollecito again reminder repeatedly",
}

MODIFIERS = frozenset(
    {
        "dark",
        "broken",
        "danger",
        "deep",
        "week",
        "month",
        "day",
        "urgent",
        "again",
        "night",
        "late",
        "fall",
        "injury",
        "mother",
        "dirty",
    }
)
"""Concepts that say how bad, how long or to whom, not what: they weigh less than the thing
complained about (a dark street lamp and a dark traffic light are different complaints)."""

SETTINGS = frozenset({"road", "sidewalk"})
"""Concepts that say where rather than what: a pothole, a fallen tree and a parked car are
all "on the sidewalk". They weigh as much as any word and do not count as the thing."""
