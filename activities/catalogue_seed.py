"""The 18 activities of the catalogue as the service description lists them (SPEC catalogue
table): seeded by a data migration; admins may edit and add afterwards."""

from decimal import Decimal

# phase: "onboarding" (#1-#10) or "post_go_live" (#11-#18).
# obligation: "mandatory" (#1 only), "recommended" (#2, #3, #16) or "on_request".
# estimate_first: feasibility/estimate before the work (#17 LDAP, #18 custom reports).
# lead_time_working_days: 5 for #7 only; frequency: "monthly" (#7), "yearly" (#16) or "".

CATALOGUE: list[dict] = [
    {
        "code": "kickoff",
        "position": 1,
        "phase": "onboarding",
        "obligation": "mandatory",
        "minimum_hours": Decimal("1"),
        "estimate_first": False,
        "is_kickoff": True,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Kick-off Meeting",
        "name_en": "Kick-off meeting",
        "name_fr": "Réunion de lancement (kick-off)",
        "name_es": "Reunión de lanzamiento (kick-off)",
        "description_it": (
            "Incontro che illustra ai referenti la struttura del corso e il processo di "
            "onboarding, chiarendo al cliente quali sono gli step e le attività necessarie per "
            "iniziare la formazione."
        ),
        "description_en": (
            "Meeting that presents the course structure and the onboarding process to the "
            "customer's contacts, clarifying the steps and activities needed to start the training."
        ),
        "description_fr": (
            "Réunion présentant aux référents la structure du cours et le processus d'onboarding, "
            "en précisant au client les étapes et les activités nécessaires pour démarrer la "
            "formation."
        ),
        "description_es": (
            "Reunión que presenta a los referentes la estructura del curso y el proceso de "
            "onboarding, aclarando al cliente los pasos y las actividades necesarios para iniciar "
            "la formación."
        ),
    },
    {
        "code": "user-list-first-upload",
        "position": 2,
        "phase": "onboarding",
        "obligation": "recommended",
        "minimum_hours": Decimal("1"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Supporto al check e primo caricamento della User List",
        "name_en": "Support to the check and first upload of the user list",
        "name_fr": (
            "Assistance à la vérification et au premier chargement de la liste des utilisateurs"
        ),
        "name_es": "Soporte a la verificación y primera carga de la lista de usuarios",
        "description_it": (
            "Il cliente produce il file CSV seguendo il tracciato e le regole indicate dal "
            "fornitore; il servizio importa gli utenti mostrando le azioni che il cliente potrà "
            "successivamente eseguire in autonomia e verifica la correttezza dell'importazione. In "
            "alternativa, il servizio può guidare il referente dell'azienda nel primo caricamento "
            "autonomo da parte del cliente."
        ),
        "description_en": (
            "The customer produces the CSV file following the layout and rules specified by the "
            "provider; the service imports the users, showing the actions the customer can later "
            "perform independently, and verifies that the import is correct. Alternatively, the "
            "service can guide the company's contact through the customer's first independent "
            "upload."
        ),
        "description_fr": (
            "Le client produit le fichier CSV selon le format et les règles indiqués par le "
            "fournisseur ; le service importe les utilisateurs en montrant les actions que le "
            "client pourra ensuite effectuer en autonomie et vérifie l'exactitude de "
            "l'importation. À l'inverse, le service peut guider le référent de l'entreprise lors "
            "du premier chargement effectué en autonomie par le client."
        ),
        "description_es": (
            "El cliente genera el archivo CSV siguiendo el formato y las reglas indicados por el "
            "proveedor; el servicio importa los usuarios mostrando las acciones que el cliente "
            "podrá realizar posteriormente de forma autónoma y verifica que la importación sea "
            "correcta. Como alternativa, el servicio puede guiar al referente de la empresa en la "
            "primera carga realizada de forma autónoma por el cliente."
        ),
    },
    {
        "code": "whitelisting",
        "position": 3,
        "phase": "onboarding",
        "obligation": "recommended",
        "minimum_hours": Decimal("1"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Supporto al whitelisting/segnala phishing",
        "name_en": "Support to whitelisting / report-phishing setup",
        "name_fr": "Assistance à la mise en liste blanche / au signalement de phishing",
        "name_es": "Soporte a la configuración de lista blanca / notificación de phishing",
        "description_it": (
            "Il servizio supporta le figure tecniche del cliente nelle configurazioni di "
            "whitelisting o di segnalazione automatizzata del phishing, come da documentazione "
            "tecnica fornita dal fornitore."
        ),
        "description_en": (
            "The service supports the customer's technical staff in configuring whitelisting or "
            "automated phishing reporting, as described in the technical documentation supplied by "
            "the provider."
        ),
        "description_fr": (
            "Le service assiste les équipes techniques du client dans la configuration de la mise "
            "en liste blanche (whitelisting) ou du signalement automatisé de phishing, "
            "conformément à la documentation technique fournie par le fournisseur."
        ),
        "description_es": (
            "El servicio asiste al personal técnico del cliente en la configuración de la lista "
            "blanca (whitelisting) o de la notificación automatizada de phishing, según la "
            "documentación técnica facilitada por el proveedor."
        ),
    },
    {
        "code": "sso",
        "position": 4,
        "phase": "onboarding",
        "obligation": "on_request",
        "minimum_hours": Decimal("0.5"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Integrazione SSO",
        "name_en": "SSO integration",
        "name_fr": "Intégration SSO",
        "name_es": "Integración SSO",
        "description_it": (
            "Configurazione della piattaforma per autenticare gli utenti integrandosi con "
            "l'Identity Provider del cliente e supporto al cliente nella configurazione del "
            "proprio Identity Provider, come indicato nella documentazione tecnica del fornitore."
        ),
        "description_en": (
            "Configuration of the platform to authenticate users through integration with the "
            "customer's identity provider, and support to the customer in configuring its own "
            "identity provider as described in the provider's technical documentation."
        ),
        "description_fr": (
            "Configuration de la plateforme pour authentifier les utilisateurs via l'intégration "
            "avec le fournisseur d'identité (Identity Provider) du client, et assistance au client "
            "dans la configuration de son propre fournisseur d'identité, conformément à la "
            "documentation technique du fournisseur."
        ),
        "description_es": (
            "Configuración de la plataforma para autenticar a los usuarios mediante la integración "
            "con el proveedor de identidad (Identity Provider) del cliente, y soporte al cliente "
            "en la configuración de su propio proveedor de identidad, según lo indicado en la "
            "documentación técnica del proveedor."
        ),
    },
    {
        "code": "pre-go-live",
        "position": 5,
        "phase": "onboarding",
        "obligation": "on_request",
        "minimum_hours": Decimal("0.5"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Coordinamento pre-GO LIVE",
        "name_en": "Pre-go-live coordination",
        "name_fr": "Coordination avant le go-live",
        "name_es": "Coordinación previa al go-live",
        "description_it": (
            "Il servizio supporta il cliente nel verificare lo stato delle attività prima del GO "
            "LIVE, in modo da appurare che tutte le azioni propedeutiche siano state espletate "
            "correttamente."
        ),
        "description_en": (
            "The service supports the customer in checking the status of activities before "
            "go-live, to make sure that all preparatory actions have been completed correctly."
        ),
        "description_fr": (
            "Le service aide le client à vérifier l'état des activités avant le go-live, afin de "
            "s'assurer que toutes les actions préparatoires ont été correctement réalisées."
        ),
        "description_es": (
            "El servicio ayuda al cliente a verificar el estado de las actividades antes del "
            "go-live, para comprobar que todas las acciones preparatorias se hayan completado "
            "correctamente."
        ),
    },
    {
        "code": "release-planning",
        "position": 6,
        "phase": "onboarding",
        "obligation": "on_request",
        "minimum_hours": Decimal("0.5"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Supporto alla pianificazione rilasci",
        "name_en": "Support to release planning",
        "name_fr": "Assistance à la planification des publications",
        "name_es": "Soporte a la planificación de publicaciones",
        "description_it": (
            "Pianificazione del rilascio dei contenuti formativi per la loro successiva "
            "calendarizzazione. Il servizio supporta nella definizione del calendario dei rilasci."
        ),
        "description_en": (
            "Planning of the release of training content for its subsequent scheduling. The "
            "service supports the definition of the release calendar."
        ),
        "description_fr": (
            "Planification de la publication des contenus de formation en vue de leur "
            "programmation ultérieure. Le service accompagne la définition du calendrier des "
            "publications."
        ),
        "description_es": (
            "Planificación de la publicación de los contenidos formativos para su posterior "
            "calendarización. El servicio ayuda a definir el calendario de publicaciones."
        ),
    },
    {
        "code": "user-list-by-cst",
        "position": 7,
        "phase": "onboarding",
        "obligation": "on_request",
        "minimum_hours": Decimal("3"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": 5,
        "frequency": "monthly",
        "name_it": "Check e caricamento user list a cura del CST",
        "name_en": "User list check and upload by the CST",
        "name_fr": "Vérification et chargement de la liste des utilisateurs par le CST",
        "name_es": "Verificación y carga de la lista de usuarios por parte del CST",
        "description_it": (
            "Il servizio supporta il cliente nella verifica della correttezza della user list in "
            "conformità al tracciato e alle regole indicate dal fornitore. Le richieste di "
            "modifica dovranno pervenire su base mensile; il lead time è di 5 giorni lavorativi."
        ),
        "description_en": (
            "The service supports the customer in verifying that the user list is correct and "
            "complies with the layout and rules specified by the provider. Change requests must be "
            "submitted on a monthly basis; the lead time is 5 working days."
        ),
        "description_fr": (
            "Le service aide le client à vérifier l'exactitude de la liste des utilisateurs, "
            "conformément au format et aux règles indiqués par le fournisseur. Les demandes de "
            "modification doivent être transmises sur une base mensuelle ; le délai de traitement "
            "est de 5 jours ouvrés."
        ),
        "description_es": (
            "El servicio ayuda al cliente a verificar que la lista de usuarios sea correcta y "
            "conforme al formato y las reglas indicados por el proveedor. Las solicitudes de "
            "modificación deben enviarse con periodicidad mensual; el plazo de ejecución es de 5 "
            "días laborables."
        ),
    },
    {
        "code": "internal-communication",
        "position": 8,
        "phase": "onboarding",
        "obligation": "on_request",
        "minimum_hours": Decimal("1"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Supporto nelle azioni di comunicazione interna",
        "name_en": "Support to internal communication",
        "name_fr": "Assistance aux actions de communication interne",
        "name_es": "Soporte a las acciones de comunicación interna",
        "description_it": (
            "Il servizio supporta il cliente nel piano di comunicazione, collaborando alla stesura "
            "delle comunicazioni verso la popolazione aziendale, sia prima del GO LIVE sia durante "
            "la formazione. Attività consigliata per la comunicazione di GO LIVE."
        ),
        "description_en": (
            "The service supports the customer's communication plan by helping draft the messages "
            "addressed to the company's staff, both before go-live and during the training. "
            "Recommended for the go-live announcement."
        ),
        "description_fr": (
            "Le service accompagne le client dans son plan de communication en collaborant à la "
            "rédaction des messages destinés au personnel de l'entreprise, avant le go-live comme "
            "pendant la formation. Activité recommandée pour la communication du go-live."
        ),
        "description_es": (
            "El servicio acompaña al cliente en su plan de comunicación colaborando en la "
            "redacción de los mensajes dirigidos al personal de la empresa, tanto antes del "
            "go-live como durante la formación. Actividad recomendada para la comunicación del "
            "go-live."
        ),
    },
    {
        "code": "launch-email",
        "position": 9,
        "phase": "onboarding",
        "obligation": "on_request",
        "minimum_hours": Decimal("1"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Personalizzazione e-mail di lancio o enrollment",
        "name_en": "Customised launch or enrolment email",
        "name_fr": "Personnalisation de l'e-mail de lancement ou d'inscription",
        "name_es": "Personalización del correo electrónico de lanzamiento o inscripción",
        "description_it": (
            "Predisposizione di un template di comunicazione per il lancio della formazione "
            "diverso da quello standard previsto dalla piattaforma."
        ),
        "description_en": (
            "Preparation of a communication template for the training launch that differs from the "
            "platform's standard one."
        ),
        "description_fr": (
            "Préparation d'un modèle de communication pour le lancement de la formation, différent "
            "du modèle standard prévu par la plateforme."
        ),
        "description_es": (
            "Preparación de una plantilla de comunicación para el lanzamiento de la formación, "
            "distinta de la estándar prevista por la plataforma."
        ),
    },
    {
        "code": "training-plan",
        "position": 10,
        "phase": "onboarding",
        "obligation": "on_request",
        "minimum_hours": Decimal("1"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Release Piano formazione standard",
        "name_en": "Standard training plan",
        "name_fr": "Plan de formation standard",
        "name_es": "Plan de formación estándar",
        "description_it": (
            "Stesura del piano di formazione che descrive i contenuti della formazione, la "
            "metodologia e la pianificazione."
        ),
        "description_en": (
            "Drafting of the training plan describing the training content, methodology and "
            "schedule."
        ),
        "description_fr": (
            "Rédaction du plan de formation décrivant les contenus de la formation, la "
            "méthodologie et la planification."
        ),
        "description_es": (
            "Redacción del plan de formación que describe los contenidos formativos, la "
            "metodología y la planificación."
        ),
    },
    {
        "code": "platform-support",
        "position": 11,
        "phase": "post_go_live",
        "obligation": "on_request",
        "minimum_hours": Decimal("1"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": (
            "Supporto all'utilizzo della piattaforma o ulteriori incontri di coordinamento, "
            "analisi o approfondimento"
        ),
        "name_en": "Platform-use support or further coordination/analysis meetings",
        "name_fr": (
            "Assistance à l'utilisation de la plateforme ou réunions supplémentaires de "
            "coordination, d'analyse ou d'approfondissement"
        ),
        "name_es": (
            "Soporte al uso de la plataforma o reuniones adicionales de coordinación, análisis o "
            "profundización"
        ),
        "description_it": (
            "Riunione nella quale il cliente richiede un ulteriore supporto per l'avvio del "
            "percorso formativo, oltre a quello previsto dalle attività precedenti."
        ),
        "description_en": (
            "Meeting in which the customer requests further support for starting the training "
            "programme, beyond what is covered by the previous activities."
        ),
        "description_fr": (
            "Réunion au cours de laquelle le client demande une assistance supplémentaire pour le "
            "démarrage du parcours de formation, au-delà de celle prévue par les activités "
            "précédentes."
        ),
        "description_es": (
            "Reunión en la que el cliente solicita soporte adicional para el inicio del programa "
            "formativo, más allá del previsto en las actividades anteriores."
        ),
    },
    {
        "code": "user-list-update",
        "position": 12,
        "phase": "post_go_live",
        "obligation": "on_request",
        "minimum_hours": Decimal("2"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Supporto nell'aggiornamento della User List",
        "name_en": "Support to updating the user list",
        "name_fr": "Assistance à la mise à jour de la liste des utilisateurs",
        "name_es": "Soporte a la actualización de la lista de usuarios",
        "description_it": (
            "Supporto alla verifica della correttezza della user list in conformità al tracciato e "
            "alle regole indicate dal fornitore. Caricamento della user list in piattaforma a "
            "valle delle attività di verifica preliminari."
        ),
        "description_en": (
            "Support in verifying that the user list is correct and complies with the layout and "
            "rules specified by the provider. Upload of the user list to the platform once the "
            "preliminary checks are complete."
        ),
        "description_fr": (
            "Assistance à la vérification de l'exactitude de la liste des utilisateurs, "
            "conformément au format et aux règles indiqués par le fournisseur. Chargement de la "
            "liste sur la plateforme à l'issue des vérifications préliminaires."
        ),
        "description_es": (
            "Soporte en la verificación de que la lista de usuarios sea correcta y conforme al "
            "formato y las reglas indicados por el proveedor. Carga de la lista en la plataforma "
            "una vez completadas las verificaciones preliminares."
        ),
    },
    {
        "code": "phishing-template",
        "position": 13,
        "phase": "post_go_live",
        "obligation": "on_request",
        "minimum_hours": Decimal("4"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Creazione di nuovo template phishing",
        "name_en": "New phishing template",
        "name_fr": "Création d'un nouveau modèle de phishing",
        "name_es": "Creación de una nueva plantilla de phishing",
        "description_it": (
            "Creazione di un template di simulazione phishing a partire dalle specifiche del "
            "cliente. Caricamento in piattaforma e test."
        ),
        "description_en": (
            "Creation of one phishing simulation template based on the customer's specifications. "
            "Upload to the platform and testing."
        ),
        "description_fr": (
            "Création d'un modèle de simulation de phishing à partir des spécifications du client. "
            "Chargement sur la plateforme et test."
        ),
        "description_es": (
            "Creación de una plantilla de simulación de phishing a partir de las especificaciones "
            "del cliente. Carga en la plataforma y pruebas."
        ),
    },
    {
        "code": "extra-campaigns",
        "position": 14,
        "phase": "post_go_live",
        "obligation": "on_request",
        "minimum_hours": Decimal("2"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Proposizione attività extra e implementazione",
        "name_en": "Proposal and implementation of extra activities",
        "name_fr": "Proposition et mise en œuvre d'activités supplémentaires",
        "name_es": "Propuesta e implementación de actividades adicionales",
        "description_it": (
            "Il servizio CSM può predisporre campagne phishing ad hoc (ad esempio di remediation o "
            "a tema Natale, Black Friday, ecc.)."
        ),
        "description_en": (
            "The CSM service can prepare ad-hoc phishing campaigns (for example remediation "
            "campaigns or campaigns themed on Christmas, Black Friday, etc.)."
        ),
        "description_fr": (
            "Le service CSM peut préparer des campagnes de phishing ad hoc (par exemple de "
            "remédiation ou sur le thème de Noël, du Black Friday, etc.)."
        ),
        "description_es": (
            "El servicio CSM puede preparar campañas de phishing ad hoc (por ejemplo, de "
            "remediación o con temática de Navidad, Black Friday, etc.)."
        ),
    },
    {
        "code": "ml-campaign-testing",
        "position": 15,
        "phase": "post_go_live",
        "obligation": "on_request",
        "minimum_hours": Decimal("0.5"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Supporto al collaudo di una campagna phishing",
        "name_en": "Support to testing a phishing campaign",
        "name_fr": "Assistance à la recette d'une campagne de phishing",
        "name_es": "Soporte a la validación de una campaña de phishing",
        "description_it": (
            "Il servizio può guidare il cliente nel processo di controllo e test di una campagna "
            "di phishing predisposta dal motore di Machine Learning."
        ),
        "description_en": (
            "The service can guide the customer through checking and testing a phishing campaign "
            "prepared by the machine-learning engine."
        ),
        "description_fr": (
            "Le service peut guider le client dans le processus de contrôle et de test d'une "
            "campagne de phishing préparée par le moteur de machine learning."
        ),
        "description_es": (
            "El servicio puede guiar al cliente en el proceso de control y prueba de una campaña "
            "de phishing preparada por el motor de machine learning."
        ),
    },
    {
        "code": "sal-review",
        "position": 16,
        "phase": "post_go_live",
        "obligation": "recommended",
        "minimum_hours": Decimal("1"),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "yearly",
        "name_it": "Riunione di SAL",
        "name_en": "Progress review meeting (SAL)",
        "name_fr": "Réunion de point d'avancement (SAL)",
        "name_es": "Reunión de seguimiento del avance (SAL)",
        "description_it": (
            "Da svolgere almeno una volta l'anno, a metà periodo. L'incontro prevede l'analisi "
            "dello stato del percorso di formazione e un confronto sull'andamento della "
            "formazione; alla luce dei risultati si possono condividere best practices. Il SAL "
            "prevede la discussione dei risultati della formazione ed eventuali azioni correttive "
            "o di recupero."
        ),
        "description_en": (
            "To be held at least once a year, mid-term. The meeting analyses the status of the "
            "training programme and discusses how the training is progressing; in light of the "
            "results, best practices can be shared. The review covers the training results and any "
            "corrective or recovery actions."
        ),
        "description_fr": (
            "À tenir au moins une fois par an, à mi-parcours. La réunion analyse l'état du "
            "parcours de formation et permet d'échanger sur son déroulement ; à la lumière des "
            "résultats, des bonnes pratiques peuvent être partagées. Le point d'avancement porte "
            "sur les résultats de la formation et sur d'éventuelles actions correctives ou de "
            "rattrapage."
        ),
        "description_es": (
            "A realizar al menos una vez al año, a mitad del periodo. La reunión analiza el estado "
            "del programa formativo y permite contrastar su evolución; a la luz de los resultados, "
            "se pueden compartir buenas prácticas. La revisión incluye el análisis de los "
            "resultados de la formación y de posibles acciones correctivas o de recuperación."
        ),
    },
    {
        "code": "ldap",
        "position": 17,
        "phase": "post_go_live",
        "obligation": "on_request",
        "minimum_hours": Decimal("8"),
        "estimate_first": True,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": "Integrazione LDAP",
        "name_en": "LDAP integration",
        "name_fr": "Intégration LDAP",
        "name_es": "Integración LDAP",
        "description_it": (
            "Integrazione con l'Active Directory del cliente al fine di sincronizzare "
            "automaticamente la base dati utenti (senza passaggi di user list). La fattibilità va "
            "in ogni caso valutata preventivamente con il cliente. Le ore dipendono dai requisiti "
            "richiesti."
        ),
        "description_en": (
            "Integration with the customer's Active Directory to synchronise the user database "
            "automatically (without exchanging user lists). Feasibility must in any case be "
            "assessed with the customer beforehand. Hours depend on the requirements."
        ),
        "description_fr": (
            "Intégration avec l'Active Directory du client afin de synchroniser automatiquement la "
            "base des utilisateurs (sans échange de listes d'utilisateurs). La faisabilité doit "
            "dans tous les cas être évaluée au préalable avec le client. Le nombre d'heures dépend "
            "des exigences."
        ),
        "description_es": (
            "Integración con el Active Directory del cliente para sincronizar automáticamente la "
            "base de datos de usuarios (sin intercambio de listas de usuarios). En cualquier caso, "
            "la viabilidad debe evaluarse previamente con el cliente. Las horas dependen de los "
            "requisitos."
        ),
    },
    {
        "code": "custom-reports",
        "position": 18,
        "phase": "post_go_live",
        "obligation": "on_request",
        "minimum_hours": Decimal("4"),
        "estimate_first": True,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": (
            "Reportistiche su specifiche esigenze del cliente oltre quanto disponibile in "
            "piattaforma"
        ),
        "name_en": "Custom reports beyond what the platform provides",
        "name_fr": "Rapports sur mesure au-delà de ceux disponibles sur la plateforme",
        "name_es": "Informes personalizados más allá de lo disponible en la plataforma",
        "description_it": (
            "Il cliente può richiedere report ad hoc che esulano da quanto disponibile in "
            "piattaforma. Su di essi viene eseguita un'analisi di fattibilità, con un computo "
            "orario predeterminato a prescindere dall'esito, e vengono realizzati previa conferma "
            "da parte del cliente della stima del tempo necessario. Le ore dipendono dai requisiti "
            "richiesti."
        ),
        "description_en": (
            "The customer may request ad-hoc reports beyond those available on the platform. A "
            "feasibility analysis is carried out, charged at a predetermined number of hours "
            "regardless of the outcome, and the reports are produced once the customer confirms "
            "the estimate of the time required. Hours depend on the requirements."
        ),
        "description_fr": (
            "Le client peut demander des rapports ad hoc allant au-delà de ceux disponibles sur la "
            "plateforme. Une analyse de faisabilité est réalisée, facturée selon un nombre "
            "d'heures prédéterminé quel qu'en soit le résultat, et les rapports sont produits "
            "après confirmation par le client de l'estimation du temps nécessaire. Le nombre "
            "d'heures dépend des exigences."
        ),
        "description_es": (
            "El cliente puede solicitar informes ad hoc que vayan más allá de los disponibles en "
            "la plataforma. Se realiza un análisis de viabilidad, con un cómputo de horas "
            "predeterminado independientemente del resultado, y los informes se elaboran una vez "
            "que el cliente confirma la estimación del tiempo necesario. Las horas dependen de los "
            "requisitos."
        ),
    },
]


def _siem(code: str, position: int, hours: str, names: tuple, descriptions: tuple) -> dict:
    it, en, fr, es = names
    d_it, d_en, d_fr, d_es = descriptions
    return {
        "code": code,
        "position": position,
        "phase": "onboarding",
        "obligation": "on_request",
        "minimum_hours": Decimal(hours),
        "estimate_first": False,
        "is_kickoff": False,
        "lead_time_working_days": None,
        "frequency": "",
        "name_it": it,
        "name_en": en,
        "name_fr": fr,
        "name_es": es,
        "description_it": d_it,
        "description_en": d_en,
        "description_fr": d_fr,
        "description_es": d_es,
    }


# The meetings of a SIEM onboarding workshop (SPEC W1–W6): each is an activity request of the
# catalogue, charged on the topic's activity (onboarding.siem.series.TOPIC_ACTIVITY). Admins
# edit the minimums afterwards like any other activity.
SIEM_WORKSHOPS: list[dict] = [
    _siem(
        "siem_purpose",
        101,
        "2",
        (
            "Workshop SIEM: incontro sullo scopo",
            "SIEM workshop: purpose meeting",
            "Atelier SIEM : réunion sur la finalité",
            "Taller SIEM: reunión sobre la finalidad",
        ),
        (
            "Perché un SIEM, a cosa serve, sfide, obblighi di segnalazione, dati sensibili GDPR, "
            "chi lo gestisce e come si riferisce alla direzione.",
            "Why a SIEM, what for, challenges, legal reporting duties, GDPR-sensitive data, who "
            "operates it and how management is reported to.",
            "Pourquoi un SIEM, à quoi il sert, défis, obligations de déclaration, données "
            "sensibles RGPD, qui l'exploite et comment rendre compte à la direction.",
            "Por qué un SIEM, para qué, retos, obligaciones de notificación, datos sensibles "
            "RGPD, quién lo opera y cómo se informa a la dirección.",
        ),
    ),
    _siem(
        "siem_sizing",
        102,
        "3",
        (
            "Workshop SIEM: dimensionamento",
            "SIEM workshop: sizing",
            "Atelier SIEM : dimensionnement",
            "Taller SIEM: dimensionamiento",
        ),
        (
            "Dalle sorgenti di log del cliente: EPS, dati al giorno, spazio per la retention, "
            "licenze e server.",
            "From the customer's log sources: EPS, data a day, storage for the retention, "
            "licences and servers.",
            "À partir des sources de journaux du client : EPS, données par jour, stockage pour "
            "la rétention, licences et serveurs.",
            "A partir de las fuentes de registros del cliente: EPS, datos al día, "
            "almacenamiento para la retención, licencias y servidores.",
        ),
    ),
    _siem(
        "siem_alignment",
        103,
        "2",
        (
            "Workshop SIEM: allineamento delle aspettative",
            "SIEM workshop: expectation alignment",
            "Atelier SIEM : alignement des attentes",
            "Taller SIEM: alineación de expectativas",
        ),
        (
            "Scopo, processo, perimetro, contenuti, stime, tempi, prerequisiti, rischi, ruoli "
            "ed economia.",
            "Purpose, process, scope, content, estimates, timeline, prerequisites, risks, roles "
            "and economics.",
            "Finalité, processus, périmètre, contenu, estimations, calendrier, prérequis, "
            "risques, rôles et aspects économiques.",
            "Finalidad, proceso, alcance, contenido, estimaciones, calendario, requisitos "
            "previos, riesgos, funciones y economía.",
        ),
    ),
    _siem(
        "siem_retention",
        104,
        "1",
        (
            "Workshop SIEM: decisione sulla retention",
            "SIEM workshop: retention decision",
            "Atelier SIEM : décision de rétention",
            "Taller SIEM: decisión de retención",
        ),
        (
            "Mesi di retention contro costo e spazio: la decisione del cliente.",
            "Months of retention against cost and storage: the customer's decision.",
            "Mois de rétention face au coût et au stockage : la décision du client.",
            "Meses de retención frente a coste y almacenamiento: la decisión del cliente.",
        ),
    ),
    _siem(
        "siem_operations",
        105,
        "2",
        (
            "Workshop SIEM: modello operativo",
            "SIEM workshop: operations model",
            "Atelier SIEM : modèle d'exploitation",
            "Taller SIEM: modelo operativo",
        ),
        (
            "Chi gestisce cosa, inclusa la pulizia continua dei dati.",
            "Who runs what, including the ongoing clean-up of the data.",
            "Qui fait quoi, y compris le nettoyage continu des données.",
            "Quién hace qué, incluida la limpieza continua de los datos.",
        ),
    ),
    _siem(
        "siem_dashboards",
        106,
        "1",
        (
            "Workshop SIEM: dashboard e report",
            "SIEM workshop: dashboards and reports",
            "Atelier SIEM : tableaux de bord et rapports",
            "Taller SIEM: paneles e informes",
        ),
        (
            "Il catalogo di dashboard e report proposti, da cui il cliente sceglie.",
            "The catalogue of dashboards and reports proposed, from which the customer picks.",
            "Le catalogue des tableaux de bord et rapports proposés, parmi lesquels le client "
            "choisit.",
            "El catálogo de paneles e informes propuestos, entre los que el cliente elige.",
        ),
    ),
    _siem(
        "siem_project_review",
        107,
        "1",
        (
            "Workshop SIEM: revisione di progetto",
            "SIEM workshop: project review",
            "Atelier SIEM : revue de projet",
            "Taller SIEM: revisión de proyecto",
        ),
        (
            "Fine di un progetto di al massimo tre mesi: lista delle carenze, valutazione e "
            "obiettivi del successivo.",
            "End of a project of at most three months: deficiency list, evaluation and the "
            "next project's goals.",
            "Fin d'un projet de trois mois au plus : liste des manques, évaluation et objectifs "
            "du suivant.",
            "Fin de un proyecto de tres meses como máximo: lista de deficiencias, evaluación y "
            "objetivos del siguiente.",
        ),
    ),
]
