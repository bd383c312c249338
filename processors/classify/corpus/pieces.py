"""What surrounds a complaint when a citizen writes it: greetings, context that says nothing
about the category, sign-offs, signatures, addresses and dates, in Italian and English.

Nothing here may hint at a category: these pieces are shared by every category, so the
classifier learns to look past them.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Pieces:
    """Everything one language needs to compose messages around a base complaint."""

    streets: tuple[str, ...]
    cities: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    months: tuple[str, ...]
    greetings: tuple[str, ...]
    openers: tuple[str, ...]
    context: tuple[str, ...]
    closings: tuple[str, ...]
    sent_from: tuple[str, ...]
    angry: tuple[str, ...]
    letter_subjects: tuple[str, ...]
    letter_intro: tuple[str, ...]
    letter_request: tuple[str, ...]
    elderly_intro: tuple[str, ...]
    elderly_closing: tuple[str, ...]
    chat_openers: tuple[str, ...]
    chat_closers: tuple[str, ...]
    chat_abbreviations: tuple[tuple[str, str], ...]
    operator_notes: tuple[str, ...]
    operator_tails: tuple[str, ...]
    form_prefixes: tuple[str, ...]
    short_frames: tuple[str, ...]
    phone_label: str
    address_label: str


_IT_STREETS = (
    "via Garibaldi", "via Roma", "corso Vittorio Emanuele", "viale Monza", "via dei Mille",
    "piazza della Libertà", "via Mazzini", "corso Buenos Aires", "via Cavour", "viale Certosa",
    "via Padova", "via Marsala", "via San Francesco", "via Torino", "corso Lodi",
    "via Nino Bixio", "piazzale Loreto", "via Gramsci", "via Matteotti", "via XX Settembre",
    "via Don Minzoni", "viale dei Tigli", "via delle Rose", "via Manzoni", "via Verdi",
    "corso Italia", "via Dante", "via Leopardi", "via Cesare Battisti", "via Trento",
    "via Trieste", "via Aldo Moro", "via Pascoli", "piazza Garibaldi", "via del Lavoro",
    "via Vecchia Pontebbana", "strada Provinciale 12", "via Fratelli Rosselli",
    "viale della Repubblica", "via Bellini", "via Galileo Galilei", "largo Augusto",
    "via Casale", "corso Cento Cannoni", "spalto Borgoglio", "via Dossena", "via Pavia",
    "via Giordano Bruno", "via Santa Caterina", "via dei Martiri", "vicolo Stretto",
)
_EN_STREETS = (
    "High Street", "Mill Road", "Elm Street", "Station Road", "Church Lane", "King Street",
    "Victoria Road", "Park Avenue", "Queen's Road", "Green Lane", "Oak Avenue",
    "5th Avenue", "Amsterdam Avenue", "West 49th Street", "Maple Drive", "Bridge Street",
    "North Road", "Canal Street", "Market Square", "Riverside Drive",
)
_IT_FIRST = (
    "Giuseppe", "Maria", "Giovanni", "Anna", "Luca", "Francesca", "Marco", "Giulia",
    "Antonio", "Rosa", "Paolo", "Lucia", "Stefano", "Elena", "Franco", "Carla", "Alessandro",
    "Sara", "Roberto", "Teresa", "Mohamed", "Fatima", "Ioana", "Wei", "Ahmed", "Svetlana",
)
_IT_LAST = (
    "Rossi", "Bianchi", "Esposito", "Russo", "Colombo", "Ferrari", "Romano", "Ricci",
    "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano",
    "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "El Amrani", "Popescu", "Zhang",
)
_EN_FIRST = (
    "John", "Sarah", "Michael", "Emily", "David", "Laura", "James", "Olivia", "Peter",
    "Hannah", "Tom", "Grace", "Daniel", "Rachel", "Chris", "Megan", "Giulia", "Marco",
    "Priya", "Kwame", "Ana", "Ben",
)
_EN_LAST = (
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Evans", "Walker", "Murphy", "O'Brien",
    "Clarke", "Patel", "Nguyen", "Garcia", "Rossi", "Müller", "Kowalski", "Okafor", "Hughes",
)

ITALIAN = Pieces(
    streets=_IT_STREETS,
    cities=("Milano", "Alessandria", "Torino", "Bologna", "Pavia", "Bergamo", "Novara"),
    first_names=_IT_FIRST,
    last_names=_IT_LAST,
    months=(
        "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
        "settembre", "ottobre", "novembre", "dicembre",
    ),
    greetings=(
        "Buongiorno,", "Buonasera,", "Gentile Comune,", "Spett.le Comune di {city},",
        "Egregio Sindaco,", "Salve,", "Gentili signori,", "Buongiorno a tutti,",
        "Alla cortese attenzione dell'Ufficio Relazioni con il Pubblico,", "Spettabile Ufficio,",
        "Gentilissimi,", "Egregi signori,", "Buongiorno, scusate il disturbo.", "Ciao,",
    ),
    openers=(
        "Vi scrivo per segnalare quanto segue.", "Scrivo per l'ennesima volta.",
        "Sono un residente di {street} e vorrei segnalare un problema.",
        "Mi permetto di scrivervi perché al telefono non risponde nessuno.",
        "Come già segnalato la settimana scorsa, la situazione non è cambiata.",
        "Mi rivolgo a voi su consiglio di un vicino di casa.",
        "Vorrei portare alla vostra attenzione una situazione che dura da troppo tempo.",
        "Con la presente desidero segnalare un disservizio.",
        "Vi contatto tramite il modulo del sito perché non so a chi altro rivolgermi.",
        "Non so se questo sia l'indirizzo giusto, nel caso vi prego di inoltrare.",
        "Faccio seguito alla mia telefonata di stamattina.",
    ),
    context=(
        "Abito in questa zona da più di trent'anni e non ho mai visto una cosa simile.",
        "Ho già chiamato il numero verde due volte senza ottenere risposta.",
        "Lavoro tutto il giorno e posso essere contattato solo dopo le 18.",
        "Allego una foto scattata ieri pomeriggio.",
        "Il problema è già stato segnalato anche da altri residenti.",
        "Pago regolarmente tutte le tasse e credo di meritare una risposta.",
        "Ho due bambini piccoli e una suocera anziana che vive con noi.",
        "Lo scrivo anche a nome degli altri condomini del palazzo.",
        "Era già successo l'anno scorso e anche allora ci è voluto un mese.",
        "Il numero della mia segnalazione precedente è {ticket}.",
        "Ne ho parlato anche con l'amministratore di condominio, che mi ha detto di scrivervi.",
        "Sono disponibile per un sopralluogo in qualsiasi momento.",
        "La cosa va avanti da {weeks} settimane.",
        "Non è la prima volta che vi scrivo per questo.",
        "Spero che questa volta qualcuno legga davvero questa mail.",
        "Vi chiedo di farmi sapere almeno se la segnalazione è stata presa in carico.",
        "Mi scuso per eventuali errori ma scrivo dal telefono.",
        "Sono in pensione e ho tempo, ma la pazienza sta finendo.",
        "Mio marito è invalido e per noi queste cose sono ancora più difficili.",
        "Tra l'altro domenica c'è anche la festa del quartiere.",
        "Il mio vicino dice che a lui hanno risposto in due giorni, spero valga anche per me.",
    ),
    closings=(
        "Grazie per l'attenzione.", "Cordiali saluti,", "Distinti saluti.",
        "In attesa di un vostro riscontro porgo cordiali saluti.", "Grazie mille e buon lavoro.",
        "Saluti", "Confido in un vostro rapido intervento.", "Grazie in anticipo.",
        "Resto in attesa di risposta.", "Buona giornata.", "Un saluto.",
    ),
    sent_from=(
        "Inviato da iPhone", "Inviato dal mio smartphone Samsung Galaxy",
        "Inviato da Outlook per Android", "Inviato da Libero Mail",
    ),
    angry=(
        "È UNA VERGOGNA!!!", "Sono stufo di scrivere e non ricevere risposte.",
        "Pago le tasse per cosa???", "Terza segnalazione e nessuno ha fatto niente!!!",
        "Se non intervenite entro una settimana mi rivolgo ai giornali e a un avvocato.",
        "Ma il sindaco dove sta?", "Vergognatevi.", "Siete degli incompetenti.",
        "Nessuno risponde mai, a cosa serve questo ufficio?",
        "Non è possibile vivere così nel 2024!!",
        "Alle prossime elezioni vi ricorderete di questo.",
        "Chiedo che qualcuno si prenda la responsabilità, BASTA!",
        "Sto perdendo la pazienza.",
    ),
    letter_subjects=(
        "Oggetto: segnalazione", "Oggetto: reclamo", "Oggetto: richiesta di intervento urgente",
        "Oggetto: esposto", "OGGETTO: SEGNALAZIONE DISSERVIZIO", "Oggetto: sollecito",
        "Oggetto: richiesta",
    ),
    letter_intro=(
        "Il sottoscritto {name}, nato a {city} il {birth}, residente in {street} n. {n}, "
        "con la presente segnala quanto segue.",
        "La sottoscritta {name}, residente in {city}, {street} {n}, espone quanto segue.",
        "Io sottoscritto {name}, in qualità di residente di {street}, desidero segnalare "
        "alla S.V. la seguente situazione.",
        "Con la presente la sottoscritta {name} intende portare a conoscenza di codesta "
        "Amministrazione quanto segue.",
    ),
    letter_request=(
        "Chiede pertanto un sollecito intervento da parte degli uffici competenti.",
        "Si resta in attesa di un cortese riscontro entro i termini di legge.",
        "Si chiede di essere informati sull'esito della presente.",
        "Confidando in un Vostro interessamento, porgo distinti saluti.",
    ),
    elderly_intro=(
        "Egregio signor Sindaco, sono una pensionata di {age} anni e non uso il computer, per "
        "questo le scrivo a mano.",
        "Gentili signori del Comune, mi scusi la calligrafia ma ho {age} anni e la vista non è "
        "più quella di una volta.",
        "Caro Sindaco, le scrive un vecchio muratore in pensione di {age} anni.",
        "Spettabile Comune, sono vedova, ho {age} anni e mia nipote mi ha detto di scrivere "
        "una lettera.",
        "Egregio signore, le scrivo perché al telefono non riesco a capire le voci registrate.",
    ),
    elderly_closing=(
        "La ringrazio tanto e la saluto distintamente.", "Dio la benedica, distinti saluti.",
        "Scusi il disturbo e grazie di cuore.",
        "Spero che qualcuno mi risponda per lettera perché non ho internet.",
        "Con osservanza.",
    ),
    chat_openers=("ciao", "salve", "buongiorno", "", "", "x favore", "scusate"),
    chat_closers=("grazie", "grz", "ciao", "fate qualcosa", "", "??", "help"),
    chat_abbreviations=(
        ("perché", "xké"), ("per ", "x "), ("non ", "nn "), ("comunque", "cmq"),
        ("che ", "ke "), ("anche", "anke"), ("sono", "sn"), ("questo", "qst"),
        ("grazie", "grz"), ("tutti", "tt"), ("messaggio", "msg"),
    ),
    operator_notes=(
        "Chiamata ricevuta il {date} alle ore {time} da {name}, che riferisce:",
        "Nota operatore contact center: {name} segnala quanto segue.",
        "Segnalazione telefonica ({date}). Chiamata di {name}, che dice:",
        "Ticket {ticket} - sportello fisico - {name} riferisce:",
    ),
    operator_tails=(
        "Richiede di essere ricontattato al numero {phone}.",
        "Chiede aggiornamenti via email.",
        "Segnalazione aperta dall'operatore, priorità da valutare.",
        "Chiamata chiusa, attende risposta scritta.",
    ),
    form_prefixes=("", "", "", "Segnalazione: ", "Descrizione: ", "Problema: "),
    # "@" stands for the short entry.
    short_frames=(
        "@ in {via}", "@ - {via} {n}", "segnalo @ in {via}", "@ da settimane", "ancora @!!",
        "buongiorno, @ in {via}, grazie", "problema: @", "@ davanti al civico {n}",
        "richiesta intervento: @", "@ {via} angolo {via2}", "@, chi interviene?", "@ urgente",
        "@ (zona {via})", "oggetto: @",
    ),
    phone_label="tel.",
    address_label="Indirizzo:",
)

ENGLISH = Pieces(
    streets=_EN_STREETS + _IT_STREETS[:30],
    cities=("Milan", "Alessandria", "Turin", "Bologna", "Pavia"),
    first_names=_EN_FIRST,
    last_names=_EN_LAST,
    months=(
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ),
    greetings=(
        "Dear Sir or Madam,", "Hi,", "Hello,", "To whom it may concern,", "Dear Mayor,",
        "Good morning,", "Dear Council,", "Hi there,", "Dear Customer Care team,",
        "Good afternoon,", "Dear all,",
    ),
    openers=(
        "I'm writing to report the following.", "I am writing for the umpteenth time.",
        "I live on {street} and would like to report a problem.",
        "I'm writing because nobody answers the phone.",
        "As I reported last week, nothing has changed.",
        "A neighbour suggested I contact you.",
        "I would like to bring to your attention a situation that has gone on too long.",
        "I'm using the website form because I don't know who else to contact.",
        "I'm not sure this is the right address, please forward it if not.",
        "Following up on my phone call this morning.",
        "I'm an English-speaking resident, sorry for not writing in Italian.",
    ),
    context=(
        "I have lived in this area for over thirty years and have never seen anything like it.",
        "I have already called the helpline twice without getting an answer.",
        "I work all day and can only be reached after 6pm.",
        "I attach a photo taken yesterday afternoon.",
        "Other residents have already reported this too.",
        "I pay all my taxes on time and I think I deserve an answer.",
        "I have two small children and my elderly mother-in-law lives with us.",
        "I'm writing on behalf of the other residents of the building too.",
        "It happened last year as well and it took a month then.",
        "My previous report number is {ticket}.",
        "I also spoke to the building manager, who told me to write to you.",
        "I'm available for an inspection at any time.",
        "This has been going on for {weeks} weeks.",
        "This is not the first time I've written about this.",
        "I hope someone actually reads this email this time.",
        "Please at least let me know whether the report has been logged.",
        "Sorry for any mistakes, I'm typing on my phone.",
        "I'm retired and have time, but my patience is running out.",
        "We moved here from abroad last year and are still learning how things work.",
        "By the way the neighbourhood festival is on Sunday.",
        "My neighbour says they got an answer in two days, I hope the same goes for me.",
    ),
    closings=(
        "Thank you for your attention.", "Kind regards,", "Best regards,", "Yours faithfully,",
        "Thanks in advance.", "Looking forward to hearing from you.", "Regards", "Thanks,",
        "Many thanks.", "Have a good day.", "Cheers,",
    ),
    sent_from=("Sent from my iPhone", "Sent from my Galaxy", "Sent from Outlook for Android"),
    angry=(
        "This is DISGRACEFUL!!!", "I'm sick of writing and getting no answer.",
        "What do I pay my taxes for???", "Third report and NOTHING has been done!!!",
        "If nothing happens within a week I'm going to the press and to a lawyer.",
        "Where is the mayor?", "Shame on you.", "You are completely useless.",
        "Nobody ever replies, what is this office for?", "This is unacceptable in 2024!!",
        "I'll remember this at the next election.", "Someone needs to take responsibility. ENOUGH!",
        "I am losing my patience.",
    ),
    letter_subjects=(
        "Re: complaint", "Subject: request for urgent action", "RE: FORMAL COMPLAINT",
        "Subject: report", "Re: reminder", "Subject: request",
    ),
    letter_intro=(
        "I, the undersigned {name}, residing at {street} {n}, {city}, wish to report the "
        "following.",
        "I am writing as a resident of {street} to formally bring the following to the "
        "attention of the Council.",
        "With this letter I, {name}, wish to lodge a formal complaint regarding the following.",
    ),
    letter_request=(
        "I therefore request prompt action by the competent offices.",
        "I look forward to your reply within the statutory time limit.",
        "Please inform me of the outcome of this complaint.",
        "Trusting in your prompt attention, I remain yours faithfully.",
    ),
    elderly_intro=(
        "Dear Mr Mayor, I am a {age} year old pensioner and I do not use computers so I am "
        "writing by hand.",
        "Dear Council, please excuse my handwriting, I am {age} and my eyes are not what they "
        "were.",
        "Dear Sir, I am writing because I cannot understand the recorded voices on the phone.",
        "To the Council, I am a widow of {age} and my granddaughter told me to write a letter.",
    ),
    elderly_closing=(
        "Thank you kindly, yours sincerely.", "God bless you, yours faithfully.",
        "Sorry to trouble you and thank you.",
        "I hope someone will answer by letter as I do not have the internet.",
    ),
    chat_openers=("hi", "hello", "", "", "pls", "hey", "excuse me"),
    chat_closers=("thx", "thanks", "pls sort it", "", "??", "asap pls", "ty"),
    chat_abbreviations=(
        ("you ", "u "), ("please", "pls"), ("thanks", "thx"), ("because", "bc"),
        ("for ", "4 "), ("to ", "2 "), ("are ", "r "), ("tonight", "2nite"),
        ("before", "b4"), ("people", "ppl"), ("message", "msg"),
    ),
    operator_notes=(
        "Call received on {date} at {time}. Caller {name} reports:",
        "Contact centre note: {name} reports the following.",
        "Phone report ({date}). Call from {name}, who says:",
        "Ticket {ticket} - front desk - the resident reports:",
    ),
    operator_tails=(
        "Requests a call back on {phone}.", "Resident asks for updates by email.",
        "Report opened by the operator, priority to be assessed.",
        "Call closed, resident awaits a written reply.",
    ),
    form_prefixes=("", "", "", "Report: ", "Description: ", "Problem: "),
    short_frames=(
        "@ on {via}", "@ - {via} {n}", "reporting @ on {via}", "@ for weeks now", "@ again!!",
        "hi, @ on {via}, thanks", "problem: @", "@ outside number {n}", "request: @",
        "@ {via} corner of {via2}", "@, who deals with this?", "@ urgent", "@ (near {via})",
        "subject: @",
    ),
    phone_label="phone",
    address_label="Address:",
)

PIECES = {"it": ITALIAN, "en": ENGLISH}
