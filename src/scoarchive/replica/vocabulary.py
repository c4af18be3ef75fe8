"""The replica's words: parallel vocabularies (English, Russian, Chinese) and interface labels.

Pure data. Each table row holds one word or phrase in the three languages, in ``LANG_INDEX``
order, so a language-neutral plan (:mod:`.prose`) picks the same row for each language and
yields three translations of one story, as on the real site.
"""

from __future__ import annotations

from dataclasses import dataclass

LANG_INDEX = {"en": 0, "ru": 1, "zh": 2}

# Every Russian subject is masculine singular so that past-tense verbs always agree.
ACTORS = (
    ("SCO Secretary-General", "Генеральный секретарь ШОС", "上合组织秘书长"),
    ("SCO Secretariat", "Секретариат ШОС", "上合组织秘书处"),
    ("Council of Foreign Ministers", "Совет министров иностранных дел", "外长理事会"),
    ("RATS Executive Committee", "Исполком РАТС", "地区反恐怖机构执委会"),
    ("SCO Business Council", "Деловой совет ШОС", "上合组织实业家委员会"),
    ("SCO Youth Council", "Молодёжный совет ШОС", "上合组织青年委员会"),
    ("SCO Energy Club", "Энергетический клуб ШОС", "上合组织能源俱乐部"),
)
# Russian topics are in the genitive; the Chinese event template embeds the topic.
EVENTS = (
    ("discusses", "обсудил вопросы", "讨论{t}问题"),
    ("holds conference on", "провёл конференцию по вопросам", "举办{t}会议"),
    ("reviews prospects for", "рассмотрел перспективы", "审议{t}合作前景"),
    ("signs memorandum on", "подписал меморандум в области", "签署{t}领域合作备忘录"),
    ("presents report on", "представил доклад о развитии", "作关于{t}发展的报告"),
)
TOPICS = (
    ("digital economy", "цифровой экономики", "数字经济"),
    ("regional security", "региональной безопасности", "地区安全"),
    ("transport connectivity", "транспортной связанности", "交通互联互通"),
    ("cultural exchange", "культурного обмена", "人文交流"),
    ("public health", "здравоохранения", "公共卫生"),
    ("energy", "энергетики", "能源"),
    ("youth policy", "молодёжной политики", "青年政策"),
    ("tourism", "туризма", "旅游"),
    ("agriculture", "сельского хозяйства", "农业"),
    ("education", "образования", "教育"),
)
CITIES = (
    ("Beijing", "Пекине", "北京"),
    ("Tashkent", "Ташкенте", "塔什干"),
    ("Moscow", "Москве", "莫斯科"),
    ("Astana", "Астане", "阿斯塔纳"),
    ("Bishkek", "Бишкеке", "比什凯克"),
    ("Dushanbe", "Душанбе", "杜尚别"),
    ("New Delhi", "Нью-Дели", "新德里"),
    ("Islamabad", "Исламабаде", "伊斯兰堡"),
    ("Samarkand", "Самарканде", "撒马尔罕"),
    ("Qingdao", "Циндао", "青岛"),
)
VERBS = (
    ("discussed", "обсудил", "讨论了"),
    ("supported", "поддержал", "支持了"),
    ("reviewed", "рассмотрел", "审议了"),
    ("welcomed", "приветствовал", "欢迎"),
    ("approved", "одобрил", "批准了"),
)
OBJECTS = (
    ("proposals to expand trade", "предложения по расширению торговли", "扩大贸易的建议"),
    (
        "the plan of joint events for the coming year",
        "план совместных мероприятий на предстоящий год",
        "来年联合活动计划",
    ),
    (
        "initiatives in the field of cultural exchange",
        "инициативы в области культурного обмена",
        "人文交流领域的倡议",
    ),
    (
        "measures to develop transport corridors",
        "меры по развитию транспортных коридоров",
        "发展交通走廊的措施",
    ),
    ("the draft final document", "проект итогового документа", "最终文件草案"),
    ("the results of the working group", "итоги работы рабочей группы", "工作组的工作成果"),
    (
        "new approaches to digital cooperation",
        "новые подходы к цифровому сотрудничеству",
        "数字合作的新方法",
    ),
)
SAYS = (("noted", "отметил", "指出"), ("stressed", "подчеркнул", "强调"), ("said", "заявил", "表示"))
GROUPS = (
    ("the SCO member states", "государства — члены ШОС", "上合组织成员国"),
    ("the parties", "стороны", "双方"),
    ("the observer states", "государства-наблюдатели", "观察员国"),
)
INTENTS = (
    ("will continue to strengthen", "продолжат укреплять", "将继续加强"),
    ("intend to develop", "намерены развивать", "打算发展"),
    ("are ready to expand", "готовы расширять", "愿意扩大"),
)
GOALS = (
    (
        "cooperation in the digital economy",
        "сотрудничество в сфере цифровой экономики",
        "数字经济领域的合作",
    ),
    ("practical interaction in trade", "практическое взаимодействие в торговле", "贸易领域的务实互动"),
    ("contacts between young people", "контакты между молодёжью", "青年之间的交流"),
    (
        "joint efforts against terrorism",
        "совместные усилия по борьбе с терроризмом",
        "打击恐怖主义的共同努力",
    ),
    ("partnership in public health", "партнёрство в области здравоохранения", "公共卫生领域的伙伴关系"),
)
DOC_KINDS = (
    ("Joint communiqué", "Совместное коммюнике", "联合公报"),
    ("Declaration", "Декларация", "宣言"),
    ("Information report", "Информационное сообщение", "新闻公报"),
    ("Plan of action", "План действий", "行动计划"),
)
DOC_BODIES = (
    ("Council of Heads of State", "Совета глав государств", "成员国元首理事会"),
    ("Council of Heads of Government", "Совета глав правительств", "成员国政府首脑理事会"),
    ("Council of Foreign Ministers", "Совета министров иностранных дел", "成员国外长理事会"),
)
# The same bodies in the nominative, as a document page's "Issued by" field names them.
DOC_BODY_NAMES = (
    ("Council of Heads of State", "Совет глав государств", "成员国元首理事会"),
    ("Council of Heads of Government", "Совет глав правительств", "成员国政府首脑理事会"),
    ("Council of Foreign Ministers", "Совет министров иностранных дел", "成员国外长理事会"),
)
# Russian slugs are transliterated ("Встреча" -> "Vstrecha"), as on rus.sectsco.org in 2023.
TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        (
            "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
            "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
        ),
        strict=True,
    )
)  # fmt: skip
# The Russian site's sections, in addresses /{section}/YYYYMMDD/ID/Slug.html (2023).
SECTIONS = ("political", "cultural", "media_SCO")


@dataclass(frozen=True)
class Labels:
    """Interface strings of one language: everything on a page that is not article text."""

    site_name: str
    title_suffix: str
    language_name: str
    nav: tuple[str, str, str, str, str, str]  # home, news, documents, about, secretariat, contacts
    share: str
    related: str
    search: str
    calendar: str
    months: tuple[str, ...]
    footer: tuple[str, str, str]  # copyright, address, staff link
    latest: str
    all_news: str
    all_documents: str
    prev: str
    next: str
    comments: str
    notices: str
    not_found: str
    restricted: str
    no_results: str
    nav_intro: tuple[str, str, str]
    archive: str  # the home page's links to older articles
    document_fields: tuple[str, str, str]  # date of signing, type, issuing body
    download: str


LABELS = {
    "en": Labels(
        site_name="Shanghai Cooperation Organisation",
        title_suffix="SCO",
        language_name="English",
        nav=("Home", "News", "Documents", "About SCO", "Secretariat", "Contacts"),
        share="Share:",
        related="Related news",
        search="Search the site for: {q}",
        calendar="News calendar: {month} {year}",
        months=tuple(
            [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ]
        ),
        footer=(
            "© 2001–2024 Secretariat of the Shanghai Cooperation Organisation",
            "Address: 7 Ritan Road, Chaoyang District, Beijing, 100600, China",
            "Staff area",
        ),
        latest="Latest news",
        all_news="All news",
        all_documents="All documents",
        prev="Previous",
        next="Next",
        comments="Comments",
        notices="Service notices",
        not_found="Page not found",
        restricted="Restricted area",
        no_results="Nothing was found.",
        nav_intro=(
            "The Shanghai Cooperation Organisation (SCO) is a permanent intergovernmental "
            "international organisation established on 15 June 2001 in Shanghai.",
            "The SCO Secretariat, based in Beijing, is the Organisation's permanent executive body.",
            "Press enquiries may be sent to the information office of the SCO Secretariat.",
        ),
        archive="From the archive",
        document_fields=("Date of signing", "Document type", "Issued by"),
        download="Download (PDF)",
    ),
    "ru": Labels(
        site_name="Шанхайская организация сотрудничества",
        title_suffix="ШОС",
        language_name="Русский",
        nav=("Главная", "Новости", "Документы", "О ШОС", "Секретариат", "Контакты"),
        share="Поделиться:",
        related="Похожие новости",
        search="Поиск по сайту: {q}",
        calendar="Календарь новостей: {month} {year}",
        months=tuple(
            [
                "январь",
                "февраль",
                "март",
                "апрель",
                "май",
                "июнь",
                "июль",
                "август",
                "сентябрь",
                "октябрь",
                "ноябрь",
                "декабрь",
            ]
        ),
        footer=(
            "© 2001–2024 Секретариат Шанхайской организации сотрудничества",
            "Адрес: Китай, 100600, Пекин, район Чаоян, ул. Житань, 7",
            "Служебный вход",
        ),
        latest="Последние новости",
        all_news="Все новости",
        all_documents="Все документы",
        prev="Предыдущая",
        next="Следующая",
        comments="Комментарии",
        notices="Служебные объявления",
        not_found="Страница не найдена",
        restricted="Закрытый раздел",
        no_results="Ничего не найдено.",
        nav_intro=(
            "Шанхайская организация сотрудничества (ШОС) — постоянно действующая "
            "межправительственная международная организация, созданная 15 июня 2001 года в Шанхае.",
            "Секретариат ШОС, расположенный в Пекине, является постоянно действующим "
            "исполнительным органом Организации.",
            "Запросы прессы можно направлять в информационную службу Секретариата ШОС.",
        ),
        archive="Из архива",
        document_fields=("Дата подписания", "Вид документа", "Орган"),
        download="Скачать (PDF)",
    ),
    "zh": Labels(
        site_name="上海合作组织",
        title_suffix="上合组织",
        language_name="中文",
        nav=("首页", "新闻", "文件", "上合组织简介", "秘书处", "联系方式"),
        share="分享：",
        related="相关新闻",
        search="站内搜索：{q}",
        calendar="新闻日历：{year}年{month}",
        months=tuple(f"{m}月" for m in range(1, 13)),
        footer=(
            "© 2001–2024 上海合作组织秘书处",
            "地址：中国北京市朝阳区日坛路7号，邮编100600",
            "内部入口",
        ),
        latest="最新消息",
        all_news="全部新闻",
        all_documents="全部文件",
        prev="上一页",
        next="下一页",
        comments="评论",
        notices="服务公告",
        not_found="页面未找到",
        restricted="限制访问区域",
        no_results="未找到结果。",
        nav_intro=(
            "上海合作组织是2001年6月15日在中国上海宣布成立的永久性政府间国际组织。",
            "上合组织秘书处设在北京，是本组织常设行政机构。",
            "新闻媒体可向上合组织秘书处新闻处提出咨询。",
        ),
        archive="往期回顾",
        document_fields=("签署日期", "文件类型", "发布机构"),
        download="下载（PDF）",
    ),
}
