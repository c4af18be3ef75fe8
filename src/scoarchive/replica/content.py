"""Deterministic text and binary content for the SCO replica.

Text is built from small parallel vocabularies (English, Russian, Chinese), so one language-neutral
"plan" rendered in the three languages yields three translations of the same story, as on the real
site. Binary assets (JPEG, PNG, PDF, the large file and the gzip bomb) are generated in code so the
replica needs no data files and every byte is reproducible from the seed.
"""

from __future__ import annotations

import hashlib
import random
import struct
import threading
import zlib
from collections.abc import Iterator
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


def _w(table: tuple[tuple[str, str, str], ...], index: int, lang: str) -> str:
    """Pick a word from a parallel table; indices wrap so any random int is a valid slot."""
    return table[index % len(table)][LANG_INDEX[lang]]


def _place(index: int, lang: str) -> str:
    city = _w(CITIES, index, lang)
    return {"en": f"in {city}", "ru": f"в {city}", "zh": f"在{city}"}[lang]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


Sentence = tuple[int, int, int, int, int]  # template, then four slot indices


def render_sentence(s: Sentence, lang: str) -> str:
    """Render one language-neutral sentence plan; the same plan gives parallel translations."""
    t, a, b, c, d = s
    actor, place = _w(ACTORS, a, lang), _place(d, lang)
    kind = t % 6
    if kind == 0:
        verb, obj = _w(VERBS, b, lang), _w(OBJECTS, c, lang)
        return {
            "en": f"The {actor} {verb} {obj} {place}.",
            "ru": f"{actor} {verb} {obj} {place}.",
            "zh": f"{actor}{place}{verb}{obj}。",
        }[lang]
    if kind in (1, 5):
        group, intent, goal = _w(GROUPS, b, lang), _w(INTENTS, c, lang), _w(GOALS, d, lang)
        if kind == 5:
            return {
                "en": f"{_cap(group)} {intent} {goal} within the SCO framework.",
                "ru": f"{_cap(group)} {intent} {goal} в рамках ШОС.",
                "zh": f"在上合组织框架内，{group}{intent}{goal}。",
            }[lang]
        say = _w(SAYS, a // 7, lang)
        return {
            "en": f"The {actor} {say} that {group} {intent} {goal}.",
            "ru": f"{actor} {say}, что {group} {intent} {goal}.",
            "zh": f"{actor}{say}，{group}{intent}{goal}。",
        }[lang]
    if kind == 2:
        n = 5 + b % 5
        return {
            "en": f"The meeting was attended by representatives of {n} countries.",
            "ru": f"Во встрече приняли участие представители {n} стран.",
            "zh": f"来自{n}个国家的代表出席了会议。",
        }[lang]
    if kind == 3:
        topic = _w(TOPICS, c, lang)
        return {
            "en": f"Particular attention was paid to cooperation in {topic}.",
            "ru": f"Особое внимание было уделено сотрудничеству в области {topic}.",
            "zh": f"会议特别关注{topic}领域的合作。",
        }[lang]
    return {
        "en": f"The parties agreed to hold the next meeting {place}.",
        "ru": f"Стороны договорились провести следующую встречу {place}.",
        "zh": f"双方商定{place}举行下次会议。",
    }[lang]


def render_paragraph(sentences: tuple[Sentence, ...], lang: str) -> str:
    """Join rendered sentences the way each language does (no spaces in Chinese)."""
    sep = "" if lang == "zh" else " "
    return sep.join(render_sentence(s, lang) for s in sentences)


def plan_sentence(rng: random.Random) -> Sentence:
    """Draw one sentence plan; five independent slots keep the text varied."""
    return (
        rng.randrange(6),
        rng.randrange(1000),
        rng.randrange(1000),
        rng.randrange(1000),
        rng.randrange(1000),
    )


def plan_paragraph(rng: random.Random) -> tuple[Sentence, ...]:
    """A paragraph of 2-5 sentences, as the brief asks."""
    return tuple(plan_sentence(rng) for _ in range(rng.randint(2, 5)))


TitleKey = tuple[int, int, int, int]  # actor, event, topic, city


def plan_title(rng: random.Random) -> TitleKey:
    """Draw a headline plan: who did what about which topic where."""
    return (
        rng.randrange(len(ACTORS)),
        rng.randrange(len(EVENTS)),
        rng.randrange(len(TOPICS)),
        rng.randrange(len(CITIES)),
    )


def render_title(key: TitleKey, lang: str) -> str:
    """Headline in one language; Chinese puts the place before the verb."""
    a, e, t, c = key
    actor, event, topic = _w(ACTORS, a, lang), _w(EVENTS, e, lang), _w(TOPICS, t, lang)
    if lang == "zh":
        return f"{actor}{_place(c, lang)}{event.format(t=topic)}"
    return f"{actor} {event} {topic} {_place(c, lang)}"


def topic_word(key: TitleKey, lang: str) -> str:
    """The word a reader would search for: the story's topic in the page language."""
    return _w(TOPICS, key[2], lang)


def render_caption(number: int, city: int, lang: str) -> str:
    """Photo caption; English pages get Russian captions (the real site does that)."""
    place = _place(city, lang)
    if lang == "zh":
        what = "的活动参与者" if number % 2 else "举行的开幕式"
        return f"{place}{what}。图片来源：上合组织秘书处"
    what = "Участники мероприятия" if number % 2 else "Церемония открытия"
    return f"{what} {_place(city, 'ru')}. Фото: пресс-служба Секретариата ШОС"


def render_doc_title(kind: int, body: int, city: int, lang: str) -> str:
    """Title of an official document (communiqué, declaration ...) in one language."""
    k, b = _w(DOC_KINDS, kind, lang), _w(DOC_BODIES, body, lang)
    if lang == "zh":
        return f"上海合作组织{b}{_w(CITIES, city, lang)}会议{k}"
    if lang == "ru":
        return f"{k} по итогам заседания {b} {_place(city, lang)}"
    return f"{k} of the {b} meeting {_place(city, lang)}"


# ---------------------------------------------------------------------------------------------
# Binary assets


def png_bytes(rgb: tuple[int, int, int], size: int = 16) -> bytes:
    """A small solid-colour PNG, built by hand so no imaging library is needed."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    row = b"\x00" + bytes(rgb) * size
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    idat = zlib.compress(row * size, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PHOTO_MIN_BYTES = 40_000
PHOTO_MAX_BYTES = 120_000


def jpeg_bytes(key: str) -> bytes:
    """A valid 8x8 greyscale baseline JPEG of news-photo weight, derived from ``key``.

    One DC-only block with hand-made Huffman tables (DC category k -> 4-bit code k; AC: EOB -> '0')
    is the smallest thing real decoders accept; the COM segment makes every photo's bytes unique.
    """
    digest = hashlib.sha256(key.encode()).digest()
    dc = (32 + digest[0] % 192 - 128) * 8  # DC coefficient of a flat block, quantiser 1
    cat = abs(dc).bit_length()
    value = dc if dc >= 0 else (dc - 1) & ((1 << cat) - 1)
    bits = f"{cat:04b}" + (f"{value:0{cat}b}" if cat else "") + "0"
    bits += "1" * (-len(bits) % 8)
    scan = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)).replace(b"\xff", b"\xff\x00")

    def seg(marker: int, payload: bytes) -> bytes:
        return struct.pack(">HH", marker, len(payload) + 2) + payload

    comment = f"scoarchive replica photo {key} {digest.hex()} {digest.hex()}".encode()
    # A news photo weighs tens of kilobytes of incompressible data: carried in APP2 segments
    # (which decoders skip), so crawls of the replica write as many bytes as real ones.
    weight = PHOTO_MIN_BYTES + int.from_bytes(digest[1:4], "big") % (PHOTO_MAX_BYTES - PHOTO_MIN_BYTES)
    noise = hashlib.shake_256(digest).digest(weight)
    padding = [seg(0xFFE2, noise[i : i + 65000]) for i in range(0, weight, 65000)]
    return b"".join(
        (
            b"\xff\xd8",
            seg(0xFFE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            seg(0xFFFE, comment),
            *padding,
            seg(0xFFDB, b"\x00" + b"\x01" * 64),
            seg(0xFFC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00"),
            seg(0xFFC4, b"\x00" + bytes([0, 0, 0, 12] + [0] * 12) + bytes(range(12))),
            seg(0xFFC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00"),
            seg(0xFFDA, b"\x01\x01\x00\x00\x3f\x00"),
            scan,
            b"\xff\xd9",
        )
    )


def _pdf_text(text: str) -> str:
    """Escape a string for a PDF literal; characters outside cp1252 cannot be shown by Helvetica."""
    text = text.encode("cp1252", "replace").decode("cp1252")
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pdf_bytes(title: str, lines: list[str]) -> bytes:
    """A real one-page PDF with a text layer (Helvetica, WinAnsi) and ``title`` in its Info.

    The Info title is UTF-16 so Russian and Chinese titles survive; the page text should be the
    Latin-script version, since the standard fonts cannot render other scripts.
    """
    ops = " ".join(f"{_pdf_text(line)} '" for line in lines)
    stream = f"BT /F1 12 Tf 16 TL 72 770 Td {ops} ET".encode("cp1252", "replace")
    info_title = "<FEFF" + title.encode("utf-16-be").hex().upper() + ">"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        f"<< /Title {info_title} /Producer (scoarchive replica) >>".encode(),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


_LARGE_HEAD = b"%PDF-1.4\n% scoarchive replica: deliberately oversized file for crawler limits\n"
_LARGE_TAIL = b"\n%%EOF\n"
_LARGE_LINE = b"% filler line of the large-file fault, identical on every request ...........\n"
CHUNK = 64 * 1024
_LARGE_BLOCK = _LARGE_LINE * (CHUNK // len(_LARGE_LINE) + 2)  # any 64 KiB window at any phase


def large_file_chunks(size: int) -> Iterator[bytes]:
    """Yield exactly ``size`` bytes in chunks of at most 64 KiB, never holding the whole file.

    The bytes look like a PDF (header, comment filler, ``%%EOF``) once ``size`` can hold both ends.
    """
    head = _LARGE_HEAD[:size]
    tail = _LARGE_TAIL[: max(0, size - len(head))]
    yield head
    filler = size - len(head) - len(tail)
    block = memoryview(_LARGE_BLOCK)
    phase = 0
    while filler > 0:
        n = min(CHUNK, filler)
        start = phase % len(_LARGE_LINE)
        yield bytes(block[start : start + n])
        phase += n
        filler -= n
    yield tail


_digest_lock = threading.Lock()
_large_digests: dict[int, str] = {}


def large_file_digest(size: int) -> str:
    """Content hash of the large file, computed once per size by streaming (for its ETag)."""
    with _digest_lock:
        if size not in _large_digests:
            h = hashlib.sha256()
            for part in large_file_chunks(size):
                h.update(part)
            _large_digests[size] = h.hexdigest()
        return _large_digests[size]


_bomb_lock = threading.Lock()
_bombs: dict[int, bytes] = {}
_BOMB_PREFIX = b"<!DOCTYPE html><html><head><title>bomb</title></head><body>"


def gzip_bomb(size: int) -> bytes:
    """Gzip stream that inflates to ``size`` bytes of HTML-ish whitespace (~1000:1).

    Computed once per size per process: compressing 200 MiB takes about a second, so the first
    request pays it and later ones (and other threads waiting on the lock) reuse the bytes.
    """
    with _bomb_lock:
        if size not in _bombs:
            comp = zlib.compressobj(9, zlib.DEFLATED, 31)
            prefix = _BOMB_PREFIX[:size]
            parts = [comp.compress(prefix)]
            spaces = memoryview(b" " * 2**20)
            remaining = size - len(prefix)
            while remaining > 0:
                n = min(remaining, len(spaces))
                parts.append(comp.compress(spaces[:n]))
                remaining -= n
            parts.append(comp.flush())
            _bombs[size] = b"".join(parts)
        return _bombs[size]


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
    ),
}

CSS = b"""/* scoarchive replica stylesheet */
body { font-family: Georgia, serif; margin: 0 auto; max-width: 60em; color: #222; }
.site-header { background: #0b3d91; color: #fff; padding: 0.5em 1em; }
.site-header a { color: #fff; margin-right: 1em; }
.menu ul { list-style: none; display: flex; gap: 1em; padding: 0; }
article h1 { font-size: 1.6em; }
figure { margin: 1em 0; } figcaption { font-size: 0.85em; color: #555; }
.share a, .pagination a { margin-right: 0.6em; }
.site-footer { border-top: 1px solid #ccc; font-size: 0.8em; padding: 1em; }
"""
