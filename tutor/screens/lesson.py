"""A lesson: one page at a time, its prose as Markdown, then its lab and its exercises; the
last page is a summary of the learner's results."""

from __future__ import annotations

import asyncio

from textual import actions, events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Footer, Header, Input

from tutor.course.model import (
    ConvLabSpec,
    FeatureLabSpec,
    GradientLabSpec,
    Lesson,
    NetworkLabSpec,
    PoolLabSpec,
    TrainingLabSpec,
    TransposedLabSpec,
    UnfoldLabSpec,
)
from tutor.screens.base import TutorScreen
from tutor.text import clean
from tutor.widgets.conv_lab import ConvLabView
from tutor.widgets.drill import DrillCard
from tutor.widgets.exercise import ExerciseCard
from tutor.widgets.feature_lab import FeatureLabView
from tutor.widgets.lab import LabView
from tutor.widgets.network_lab import NetworkLabView
from tutor.widgets.page import Page
from tutor.widgets.panel_lab import PanelLabView
from tutor.widgets.pool_lab import PoolLabView
from tutor.widgets.prose import Prose
from tutor.widgets.summary import LessonSummary
from tutor.widgets.text import Plain
from tutor.widgets.training_lab import TrainingLabView

# Which widget shows which kind of lab.
LAB_VIEWS = {ConvLabSpec: ConvLabView, PoolLabSpec: PoolLabView, FeatureLabSpec: FeatureLabView,
             TrainingLabSpec: TrainingLabView, NetworkLabSpec: NetworkLabView, UnfoldLabSpec: PanelLabView,
             GradientLabSpec: PanelLabView, TransposedLabSpec: PanelLabView}

SUMMARY_TITLE = "Your results"
ANSWER_STARTERS = frozenset("0123456789-.[(")  # what an answer may start with: never a page or lab key


def _shortened(lesson: str, where: str, title: str, room: int, least: int = 10) -> str:
    """``lesson`` + ``title`` in ``room`` characters: the page's name (after ``where``, its
    number) is shortened first, to ``least`` characters, then the lesson's title; the page
    number is given up last."""
    text = lesson + title
    if len(text) > room and lesson:
        fixed = len(lesson) + min(len(title), len(where) + 2 + least)
        if fixed > room:  # the lesson's title gives way too
            keep = room - min(len(title), len(where) + 2 + least) - 4
            lesson = lesson[:keep].rstrip(" ·") + "… · " if keep >= 6 else ""
        text = lesson + title
    return text if len(text) <= room else text[:max(room - 1, 0)] + "…"


class LessonScreen(TutorScreen):
    """Pages of one lesson. PageDown/PageUp (or ] and [) turn pages; Esc goes back to the list."""

    BINDINGS = [
        Binding("pagedown", "turn(1)", "Next page", priority=True, key_display="PgDn"),
        Binding("pageup", "turn(-1)", "Prev page", priority=True, key_display="PgUp"),
        Binding("right_square_bracket", "turn(1)", "Next page", show=False),
        Binding("left_square_bracket", "turn(-1)", "Prev page", show=False),
        Binding("escape", "lessons", "Lessons", tooltip="Back to the lesson list"),
        Binding("n", "lab('step', 1)", "Next cell", tooltip="Step the window to the next output cell"),
        Binding("p", "lab('step', -1)", "Prev cell", tooltip="Step the window back one output cell"),
        Binding("space", "lab('play')", "Play/pause", tooltip="Step through the output cells automatically"),
        Binding("r", "lab('reset')", "Reset lab", tooltip="Restore the lesson's input, kernels and settings"),
        Binding("e", "lab('equalize')", "Equal kernels", tooltip="Make every output channel's kernel equal to channel 0's"),
        Binding("s", "lab('train_step')", "Train a step", tooltip="One step of SGD"),
        Binding("c", "lab('show_code')", "Code", tooltip="The PyTorch code that rebuilds this lab"),
        Binding("tab", "tab_in", "Focus next", show=False),
        Binding("ctrl+t", "exercise('hint')", "Hint", tooltip="The next hint of the page's question"),
        Binding("ctrl+r", "exercise('reveal')", "Reveal", tooltip="The worked solution of the page's question"),
    ]

    # Below 30 rows the header goes: the page bar names the lesson's page, and the lab needs the row.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    page_index: reactive[int] = reactive(0, init=False)

    def __init__(self, lesson: Lesson, page: int = 0, sessions: dict | None = None) -> None:
        super().__init__()
        self.lesson = lesson
        self._page_lock = asyncio.Lock()  # one page is built at a time, however fast keys come
        self._answer_first = False  # the next Tab goes to the answer box (see action_tab_in)
        # A network lab's session, kept from page to page (it trains), and by the app from visit to visit.
        self.lab_sessions: dict[str, object] = {} if sessions is None else sessions
        # The page's lab and whether it asks a question: looked up once a page, not by a DOM query
        # for every binding the footer checks on every key.
        self._lab: LabView | None = None
        self._asks = False
        self.set_reactive(LessonScreen.page_index, min(max(page, 0), self.page_count - 1))

    @property
    def page_count(self) -> int:
        return len(self.lesson.pages) + 1  # the summary comes last

    @property
    def on_summary(self) -> bool:
        return self.page_index == len(self.lesson.pages)

    @property
    def page_number(self) -> str:
        """``3/6``: the lesson's pages, counted as the lesson list counts them (the results
        page after them is not one of them)."""
        return "results" if self.on_summary else f"{self.page_index + 1}/{len(self.lesson.pages)}"

    @property
    def page_title(self) -> str:
        return SUMMARY_TITLE if self.on_summary else self.lesson.pages[self.page_index].title

    def compose(self) -> ComposeResult:
        yield Header()
        yield Page(id="page")
        yield Plain(id="page-bar")
        yield Footer()

    async def on_mount(self) -> None:
        await self._show_page()

    def on_screen_resume(self) -> None:
        """Back from a cover (help, code, a terminal too small): the lab fits the size it is now."""
        for lab in self.query(LabView):
            if lab.ready:
                lab.fit()

    def action_lessons(self) -> None:
        self.app.show_lessons(self.lesson.id)

    def action_turn(self, delta: int) -> None:
        target = self.page_index + delta
        if 0 <= target < self.page_count:
            self.page_index = target
        else:
            self.notify("This is the last page." if delta > 0 else "This is the first page.", timeout=2)

    def action_lab(self, name: str, *args) -> None:
        """Forward a key to the page's lab, wherever the focus is on the page."""
        if self._lab is not None:
            getattr(self._lab, f"action_{name}")(*args)

    def action_exercise(self, name: str) -> None:
        """Ctrl+T / Ctrl+R from anywhere on the page: for the question the focus is in, else the
        first one not yet done."""
        cards = list(self.query(ExerciseCard))
        focused = next((card for card in cards if self.focused in card.query("*")), None)
        card = focused or next((card for card in cards if card.status in ("unanswered", "wrong")), cards[0])
        getattr(card, f"action_{name}")()
        card.scroll_visible()

    def describe_binding(self, binding: Binding) -> str | None:
        """What a lab key does on this page, where the lab says (Space trains in the training lab)."""
        _, action, parameters = actions.parse(binding.action)
        if action != "lab" or self._lab is None:
            return None
        return self._lab.KEY_HELP.get(str(parameters[0]))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "exercise":
            return self._asks  # hidden from the footer on pages without a question
        if action != "lab":
            return True
        if self._lab is None:
            return False  # hidden from the footer on pages without a lab
        return self._lab.check_action(str(parameters[0]), parameters[1:])

    async def watch_page_index(self) -> None:
        await self._show_page()

    async def _show_page(self) -> None:
        async with self._page_lock:
            await self._build_page()

    async def _build_page(self) -> None:
        self.title = clean(self.lesson.title)
        self.sub_title = clean(self.page_title if self.on_summary else f"{self.page_number}: {self.page_title}")
        container = self.query_one("#page", Page)
        self._lab, self._asks = None, False
        await container.remove_children()
        await container.mount_all(self._page_widgets())
        self._lab = next(iter(container.query_children(LabView)), None)
        self._asks = bool(container.query_children(ExerciseCard))
        container.scroll_to_top()
        self._tell_labs()
        self._update_bar()
        self._focus_first()
        self.refresh_bindings()
        self.app.page_opened(self.lesson.id, self.page_index, self.on_summary)

    def _page_widgets(self) -> list:
        record = self.app.progress.lesson(self.lesson.id)
        widgets = [Plain(self.page_title, id="page-title")]
        if self.on_summary:
            return widgets + [LessonSummary(self.lesson, record),
                              Plain("Esc: back to the lesson list · PgUp: back through the pages", id="summary-hint")]
        page = self.lesson.pages[self.page_index]
        widgets.append(Prose(page.body, id="prose"))
        if page.lab:
            spec = self.lesson.labs[page.lab]
            view = LAB_VIEWS[type(spec)]
            shared = {"sessions": self.lab_sessions} if view is NetworkLabView else {}
            widgets.append(view(spec, page.show, prose=page.body, id="lab", **shared))
        widgets += [ExerciseCard(exercise, self.lesson.labs, record.exercises.get(exercise.id))
                    for exercise in page.exercises]
        if page.drill is not None:
            widgets.append(DrillCard(page.drill, record.drill))
        return widgets

    @on(ExerciseCard.Changed)
    def _exercise_changed(self, event: ExerciseCard.Changed) -> None:
        card = event.card
        self.app.exercise_changed(self.lesson.id, card.exercise.id, attempted=event.attempted, solved=card.solved,
                                  hints=card.hints_shown, revealed=card.revealed)
        self._tell_labs()
        if (card.solved or card.revealed) and isinstance(self.focused, Input) and self.focused in card.query(Input):
            # Done with this box: the page takes the focus, where it is (the solution stays in view),
            # and the next answer typed goes to the next open question's box.
            self.query_one("#page").focus(scroll_visible=False)

    def _tell_labs(self) -> None:
        """A network lab's ledger shows ``?`` where a question of the lesson about it is still open."""
        records = self.app.progress.lesson(self.lesson.id).exercises
        for lab in self.query(NetworkLabView):
            lab.hidden = frozenset(
                (exercise.answer.quantity, exercise.answer.net_index)
                for page in self.lesson.pages for exercise in page.exercises
                if exercise.answer.lab == lab.spec.id
                and not ((record := records.get(exercise.id)) and (record.solved or record.revealed)))

    @on(DrillCard.Scored)
    def _drill_scored(self, event: DrillCard.Scored) -> None:
        self.app.drill_scored(self.lesson.id, event.record, event.answer)

    def action_tab_in(self) -> None:
        """The first Tab on a page with a lab and a question goes to the answer box; from there
        on, Tab goes round in page order."""
        box = self._answer_box()
        if self._answer_first and box is not None and self.focused in (None, self.query_one("#page")):
            self._answer_first = False
            box.focus()
        else:
            self.app.action_focus_next()

    def on_key(self, event: events.Key) -> None:
        """The first character of an answer, typed anywhere but in a box or a grid being edited,
        goes to the page's answer box: ``[1,3,2,2]`` is an answer there, never a turn of the page.
        Keys typed in the same burst were already on their way to the old focus: they follow."""
        if getattr(event, "routed", False) or not event.is_printable:
            return
        if isinstance(self.focused, Input):
            box = self.focused  # a printable key the box did not see: sent before the focus moved
        elif event.character in ANSWER_STARTERS and (box := self._answer_box()) is not None:
            # Focused now, not after this key (as focus() would): the box's Focus selects what was
            # typed before, and this key, which follows it, starts a new answer.
            self.set_focus(box)
        else:
            return
        event.stop()
        event.prevent_default()
        key = events.Key(event.key, event.character)
        key.routed = True  # if the box does not take it, it is not sent round again
        box.post_message(key)

    def _answer_box(self) -> Input | None:
        """The answer box of the first question on the page not yet solved (or of the first)."""
        cards = list(self.query("ExerciseCard, DrillCard"))
        unsolved = [card for card in cards if not getattr(card, "solved", False) and not getattr(card, "revealed", False)]
        return next((card.query_one("#answer", Input) for card in unsolved or cards), None)

    def _focus_first(self) -> None:
        """On a page of questions, focus the first answer box; where there is a lab, the page
        itself, so that the lab's letter keys work at once (Tab reaches the answer box)."""
        box = self._answer_box()
        if box is not None and not self.query(LabView):
            box.focus(scroll_visible=False)
        else:
            self.query_one("#page").focus(scroll_visible=False)
        self._answer_first = box is not None

    def _update_bar(self) -> None:
        """``◀ PgUp   page 3 of 7: Title   PgDn ▶`` (on a short terminal, with no header and no
        footer: the lesson's title first, and ``? keys`` last). The title is shortened, never the keys."""
        back = "◀ PgUp" if self.page_index > 0 else "      "
        forward = "PgDn ▶" if self.page_index < self.page_count - 1 else "end of lesson"
        where = "" if self.on_summary else f"page {self.page_number.replace('/', ' of ')}"
        title = f"{where}: {self.page_title}".removeprefix(": ")
        keys, lesson = "", ""
        if self.has_class("-short"):  # no header, no footer: the bar says what they would have
            lesson, keys = f"{self.lesson.title} · ", "   ? keys"
        bar = self.query_one("#page-bar", Plain)
        room = max(bar.content_size.width or self.size.width - 4, 20) - len(back) - len(forward) - len(keys) - 6
        bar.update(f"{back}   {_shortened(lesson, where, title, room)}   {forward}{keys}")

    def on_resize(self) -> None:
        self.call_after_refresh(self._update_bar)  # after Screen's own handler has set -short / -tall
        if self._lab is not None and self._lab.ready:  # a new height alone does not resize the lab
            self.call_after_refresh(self._lab.fit)
