"""Generated (prompt, ProjectSpec) pairs for training and testing the parser role.

Owns sampling a spec from the catalogue (``codebegen.training.vocabulary``) and writing a prompt
that states exactly that spec in one of many styles: plain paragraphs, terse lists, bullet
points, numbered requirements, chatty messages, lower case, typos, and noise that is not part
of the spec (deployment wishes, business rules, thanks). Everything is driven by one
``random.Random(seed)``, so a seed gives the same pairs on every machine. The target a model
learns is ``target_json``: the compact JSON the parse stage's decoding constraint allows, keys
in its order. It does not train (``codebegen.training.trainer``) and never reads the dev set.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from codebegen.training.vocabulary import EXTRA_ENTITY_NAMES, EXTRA_FIELDS, Domain, Entity, Field, Link, parse_domains

# Domains that training never sees: the held-out generated set is drawn from these only.
HELD_OUT = frozenset({"museum", "weather", "printing", "charity", "podcasts"})


@dataclass
class Example:
    prompt: str
    spec: dict[str, Any]  # ProjectSpec JSON in DECODING_SCHEMA's shape and key order

    def gold_row(self, id_: str) -> dict[str, Any]:
        """The row shape of bench/dev_specs.jsonl, for ``codebegen eval --set``."""
        return {
            "id": id_,
            "prompt": self.prompt,
            "entities": {e["name"]: {f["name"]: f["type"] for f in e["fields"]} for e in self.spec["entities"]},
            "relationships": [[r["source"], r["target"], r["kind"]] for r in self.spec["relationships"]],
            "auth": self.spec["auth"],
        }


def target_json(spec: dict[str, Any]) -> str:
    """The exact text the constrained decoder produces for ``spec`` (its separators included)."""
    return json.dumps(spec, separators=(", ", ": "), ensure_ascii=False)


# ---------------------------------------------------------------- words


def words(name: str) -> str:
    """``OrderItem`` -> ``order item``; ``due_date`` -> ``due date``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").lower()


def plural(phrase: str) -> str:
    head, _, last = phrase.rpartition(" ")
    if re.search(r"[^aeiou]y$", last):
        last = last[:-1] + "ies"
    elif re.search(r"(s|x|z|ch|sh)$", last):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}".strip()


def article(phrase: str) -> str:
    return ("an " if phrase[:1] in "aeiou" else "a ") + phrase


def join(items: list[str], rng: random.Random) -> str:
    if len(items) == 1:
        return items[0]
    last = rng.choice([" and ", ", and ", " & ", ", "]) if rng.random() < 0.3 else " and "
    return ", ".join(items[:-1]) + last + items[-1]


# ---------------------------------------------------------------- sampling a spec


class SpecSampler:
    """Draws a spec (entities, fields, links, auth, ownership) from the catalogue."""

    def __init__(self, rng: random.Random, domains: list[Domain]) -> None:
        self.rng = rng
        self.domains = domains

    def synthetic_domain(self) -> Domain:
        """Neutral nouns with fields borrowed from all over the catalogue."""
        rng = self.rng
        names = rng.sample(EXTRA_ENTITY_NAMES, rng.randint(2, 4))
        pool = [f for d in self.domains for e in d.entities for f in e.fields]
        entities = []
        for n in names:
            chosen: dict[str, Field] = {}
            for f in rng.sample(pool, 8):
                chosen.setdefault(f.name, f)
            entities.append(Entity(n, tuple(chosen.values())))
        links = []
        for a, b in zip(names, names[1:], strict=False):
            kind = rng.choice(["many_to_one", "many_to_one", "many_to_many", "one_to_one"])
            links.append(Link(a, b, kind) if rng.random() < 0.5 else Link(b, a, kind))
        return Domain("_".join(n.lower() for n in names[:2]), f"{names[0]} tracking", tuple(entities), tuple(links))

    def sample(self) -> dict[str, Any]:
        rng = self.rng
        domain = self.synthetic_domain() if rng.random() < 0.08 else rng.choice(self.domains)
        by_name = {e.name: e for e in domain.entities}
        n = min(len(domain.entities), rng.choices([1, 2, 3, 4, 5], [8, 30, 35, 20, 7])[0])
        chosen = [rng.choice(domain.entities).name]
        while len(chosen) < n:  # grow along links first, so most picks are connected
            linked = [x for lk in domain.links for x in (lk.source, lk.target)
                      if (lk.source in chosen or lk.target in chosen) and x not in chosen]  # fmt: skip
            rest = [e.name for e in domain.entities if e.name not in chosen]
            chosen.append(rng.choice(linked if linked and rng.random() < 0.85 else rest))
        order = [e.name for e in domain.entities if e.name in chosen]
        if rng.random() < 0.5:
            rng.shuffle(order)
        links = [lk for lk in domain.links if lk.source in chosen and lk.target in chosen and rng.random() < 0.9]
        auth = rng.random() < 0.55
        entities = []
        for name in order:
            pool = list(by_name[name].fields)
            k = rng.choices([0, 1, 2, 3, 4, 5, 6], [3, 12, 22, 25, 20, 12, 6])[0]
            k = min(k, len(pool))
            fields = rng.sample(pool, k) if rng.random() < 0.4 else pool[:k]
            if rng.random() < 0.12:
                extra = rng.choice(EXTRA_FIELDS)
                if extra.name not in {f.name for f in fields}:
                    fields.append(extra)
            if not fields:
                # an entity named only in passing ("posts can have tags") still gets a name field
                fields = [Field("name", "str")]
            entities.append({"name": name, "fields": fields, "owned": auth and rng.random() < 0.25})
        return {"domain": domain, "entities": entities, "links": links, "auth": auth}


def to_spec(draw: dict[str, Any], marks: dict[tuple[str, str], set[str]]) -> dict[str, Any]:
    """The target ProjectSpec; ``marks`` says which fields the prompt called optional/unique."""
    domain: Domain = draw["domain"]
    ents = []
    for e in draw["entities"]:
        fields = []
        for f in e["fields"]:
            m = marks.get((e["name"], f.name), set())
            fields.append({"name": f.name, "type": f.type, "required": "optional" not in m,
                           "unique": "unique" in m, "values": list(f.values) if f.type == "enum" else None})  # fmt: skip
        ents.append({"name": e["name"], "owned": e["owned"], "fields": fields})
    return {
        "name": domain.key,
        "description": f"{domain.title} API",
        "auth": draw["auth"],
        "entities": ents,
        "relationships": [{"source": lk.source, "target": lk.target, "kind": lk.kind} for lk in draw["links"]],
    }


# ---------------------------------------------------------------- writing a prompt


class PromptWriter:
    """Writes one prompt for a drawn spec in a randomly chosen style."""

    STYLES = ("paragraph", "paragraph", "terse", "bullets", "requirements", "chatty", "inline")

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.marks: dict[tuple[str, str], set[str]] = {}

    # fields ------------------------------------------------------------
    def field_phrase(self, entity: str, f: Field, terse: bool) -> str:
        rng = self.rng
        w = words(f.name)
        if f.type == "bool":
            bare = re.sub(r"^(is|has) ", "", w)
            options = [f"{bare} flag", f"whether it is {bare}" if not w.startswith("has ") else f"whether it {w}",
                       f"{w} (yes/no)", f"{bare} boolean", f"a boolean {w}"]  # fmt: skip
            text = bare if terse and rng.random() < 0.5 else rng.choice(options)
        elif f.type == "enum" and f.values:
            vals = [words(v) if rng.random() < 0.5 else v for v in f.values]
            text = rng.choice([f"{w} ({', '.join(vals)})", f"{w} ({'/'.join(vals)})",
                               f"{w} which is one of {join(vals, rng).replace(' and ', ' or ')}",
                               f"{w}: {' | '.join(vals)}", f"{w} (one of {', '.join(vals)})"])  # fmt: skip
        else:
            text = w
            hint = {"decimal": ["decimal", "money", "a decimal"], "int": ["integer", "int", "number"],
                    "float": ["float", "number"], "date": ["date"], "datetime": ["datetime", "timestamp"],
                    "text": ["long text", "text"], "json": ["json", "JSON"], "uuid": ["uuid"],
                    "email": ["email"], "url": ["url", "link"], "str": ["string", "text"]}.get(f.type, [f.type])  # fmt: skip
            if rng.random() < (0.35 if terse else 0.15) and f.type != "str":
                text = f"{w} ({rng.choice(hint)})" if rng.random() < 0.6 else f"{w}: {rng.choice(hint)}"
        marks = self.marks.setdefault((entity, f.name), set())
        if f.unique and rng.random() < 0.5:
            marks.add("unique")
            text = rng.choice([f"unique {text}", f"{text} (unique)", f"{text}, which must be unique"])
        elif rng.random() < 0.07:
            marks.add("optional")
            text = rng.choice([f"optional {text}", f"{text} (optional)", f"an optional {text}"])
        if not terse and rng.random() < 0.6 and not text.startswith(("whether", "a ", "an ", "unique", "optional")):
            text = article(text) if rng.random() < 0.85 else "the " + text
        return text

    def field_list(self, e: dict[str, Any], terse: bool = False) -> str:
        return join([self.field_phrase(e["name"], f, terse) for f in e["fields"]], self.rng)

    def comma_list(self, e: dict[str, Any]) -> str:
        return ", ".join(self.field_phrase(e["name"], f, True) for f in e["fields"])

    # links -------------------------------------------------------------
    def link_sentence(self, lk: Link, terse: bool = False) -> str:
        rng = self.rng
        a, b = words(lk.source), words(lk.target)
        ap, bp = plural(a), plural(b)
        if terse:
            forms = {"many_to_one": [f"{a} belongs to {b}", f"{a} -> {b}", f"{a} has one {b}", f"{b} has many {ap}",
                                     f"{a} many-to-one {b}", f"each {a} references a {b}"],
                     "many_to_many": [f"{ap} <-> {bp} (many to many)", f"{a} many-to-many {b}",
                                      f"{ap} have many {bp} and vice versa"],
                     "one_to_one": [f"{a} has exactly one {b}", f"{a} one-to-one {b}", f"{a} 1:1 {b}"]}  # fmt: skip
        else:
            forms = {
                "many_to_one": [f"Each {a} belongs to {article(b)}.", f"{ap.capitalize()} belong to {article(b)}.",
                                f"{article(b).capitalize()} has many {ap}.", f"Every {a} is linked to one {b}.",
                                f"{ap.capitalize()} are attached to {article(b)}.",
                                f"Each {a} is for exactly one {b}.", f"{article(b).capitalize()} can have several {ap}.",
                                f"Every {a} references the {b} it belongs to."],
                "many_to_many": [f"{ap.capitalize()} can have many {bp} and {bp} can be on many {ap}.",
                                 f"{article(a).capitalize()} can have several {bp}, and {article(b)} can belong to many {ap}.",
                                 f"{ap.capitalize()} and {bp} are many-to-many.",
                                 f"Link {ap} and {bp} (many to many).",
                                 f"Any {a} can be connected to multiple {bp} and the other way round."],
                "one_to_one": [f"Each {a} has exactly one {b}.", f"{article(a).capitalize()} has one {b} and that {b} belongs to only that {a}.",
                               f"{ap.capitalize()} and {bp} are one-to-one."],
            }  # fmt: skip
        return rng.choice(forms[lk.kind])

    # auth, ownership, noise -------------------------------------------
    def auth_sentence(self, auth: bool) -> str:
        rng = self.rng
        if auth:
            return rng.choice(["Users must log in.", "Users sign up and log in with email and password.",
                               "Only authenticated users can use it.", "Protect everything with JWT login.",
                               "People register an account and log in before doing anything.",
                               "Needs login.", "Use token auth for all endpoints.",
                               "Users must log in to make changes.", "Require sign in."])  # fmt: skip
        return rng.choice(["", "", "", "No login needed.", "It is a public API without authentication.",
                           "No auth for now.", "Anyone can read and write, no accounts."])  # fmt: skip

    def owned_sentence(self, e: dict[str, Any]) -> str:
        p = plural(words(e["name"]))
        return self.rng.choice([f"Each user only sees their own {p}.", f"{p.capitalize()} are private to the user who created them.",
                                f"Users manage their own {p}.", f"A user can only edit {p} they created."])  # fmt: skip

    def noise(self, draw: dict[str, Any]) -> str:
        rng = self.rng
        e = rng.choice(draw["entities"])
        f = rng.choice(e["fields"])
        name, fw = words(e["name"]), words(f.name)
        return rng.choice(["It should use PostgreSQL.", "Please include tests.", "We deploy with Docker.",
                           "The frontend is written in React.", "Pagination would be nice.", "Keep it simple.",
                           "Make it fast, we expect a lot of traffic.", "A mobile app will use this later.",
                           f"The {fw} of a {name} cannot be empty.", f"Sort {plural(name)} by {fw} by default.",
                           f"A {name} must not be deleted if it is still in use.", "Thanks!",
                           "This replaces an old spreadsheet.", "Admins will use it daily."])  # fmt: skip

    def intro(self, domain: Domain, draw: dict[str, Any]) -> str:
        rng = self.rng
        t = domain.title.lower()
        names = [plural(words(e["name"])) for e in draw["entities"]]
        if draw["auth"] and rng.random() < 0.35:
            names = ["users", *names]
        listed = join(names, rng)
        return rng.choice([f"{domain.title} API.", f"A backend for a {t}.", f"I need an API for a {t}.",
                           f"Build a REST API for a {t} with {listed}.", f"{domain.title}:", f"A {t} API with {listed}.",
                           f"We are building a {t} service.", f"Create a {t} backend.", ""])  # fmt: skip

    # styles ------------------------------------------------------------
    def write(self, draw: dict[str, Any]) -> str:
        rng = self.rng
        style = rng.choice(self.STYLES)
        text = getattr(self, f"_{style}")(draw)
        if rng.random() < 0.15:
            text = text.lower()
        if rng.random() < 0.15:
            text = self.typos(text)
        return re.sub(r"[ \t]+", " ", text).strip()

    def _entity_sentence(self, e: dict[str, Any], with_link: Link | None) -> str:
        rng = self.rng
        s, p = words(e["name"]), plural(words(e["name"]))
        fl = self.field_list(e)
        forms = [f"{p.capitalize()} have {fl}.", f"Each {s} has {fl}.", f"{article(s).capitalize()} stores {fl}.",
                 f"For {p} we need {fl}.", f"{p.capitalize()} should have {fl}.", f"Every {s} has {fl}.",
                 f"We track {p} with {fl}."]  # fmt: skip
        sentence = rng.choice(forms)
        if with_link is not None:
            b = words(with_link.target)
            sentence = rng.choice([f"{p.capitalize()} belong to {article(b)} and have {fl}.",
                                   f"{p.capitalize()} have {fl} and belong to {article(b)}.",
                                   f"Each {s} has {fl}, and is linked to {article(b)}."])  # fmt: skip
        return sentence

    def _body_sentences(self, draw: dict[str, Any]) -> list[str]:
        rng = self.rng
        pending = list(draw["links"])
        out = []
        for e in draw["entities"]:
            joined = next((lk for lk in pending if lk.source == e["name"] and lk.kind == "many_to_one"), None)
            if joined is not None and rng.random() < 0.35:
                pending.remove(joined)
            else:
                joined = None
            out.append(self._entity_sentence(e, joined))
        out += [self.link_sentence(lk) for lk in pending]
        return out

    def _tail(self, draw: dict[str, Any]) -> list[str]:
        rng = self.rng
        out = [self.auth_sentence(draw["auth"])]
        out += [self.owned_sentence(e) for e in draw["entities"] if e["owned"]]
        if rng.random() < 0.3:
            out.insert(rng.randint(0, len(out)), self.noise(draw))
        return [s for s in out if s]

    def _paragraph(self, draw: dict[str, Any]) -> str:
        body = self._body_sentences(draw)
        tail = self._tail(draw)
        if self.rng.random() < 0.3 and tail:  # the auth cue first, as people often write it
            return " ".join([self.intro(draw["domain"], draw), tail[0], *body, *tail[1:]])
        return " ".join([self.intro(draw["domain"], draw), *body, *tail])

    def _inline(self, draw: dict[str, Any]) -> str:
        rng = self.rng
        parts = [f"{plural(words(e['name']))} ({self.comma_list(e)})" for e in draw["entities"]]
        head = f"{draw['domain'].title}: " if rng.random() < 0.7 else ""
        text = head + join(parts, rng) + "."
        links = [self.link_sentence(lk) for lk in draw["links"]]
        return " ".join([text, *links, *self._tail(draw)])

    def _terse(self, draw: dict[str, Any]) -> str:
        rng = self.rng
        lines = [f"{words(e['name'])}: {self.comma_list(e)}" for e in draw["entities"]]
        lines += [self.link_sentence(lk, terse=True) for lk in draw["links"]]
        if draw["auth"]:
            lines.append(rng.choice(["auth: jwt", "login required", "with auth", "users log in"]))
        lines += [self.owned_sentence(e) for e in draw["entities"] if e["owned"]]
        sep = rng.choice(["; ", ". ", "\n"])
        return f"{draw['domain'].key.replace('_', ' ')} api{sep}" + sep.join(lines)

    def _bullets(self, draw: dict[str, Any]) -> str:
        rng = self.rng
        mark = rng.choice(["- ", "* ", "• "])
        lines = [self.intro(draw["domain"], draw) or f"{draw['domain'].title}"]
        for e in draw["entities"]:
            name = e["name"] if rng.random() < 0.5 else plural(words(e["name"]))
            lines.append(f"{mark}{name}: {self.field_list(e, terse=True)}")
        lines += [mark + self.link_sentence(lk, terse=rng.random() < 0.5) for lk in draw["links"]]
        lines += [mark + s for s in self._tail(draw)]
        return "\n".join(lines)

    def _requirements(self, draw: dict[str, Any]) -> str:
        items = self._body_sentences(draw) + self._tail(draw)
        head = self.rng.choice(["Requirements:", f"{draw['domain'].title} requirements:", "Spec:"])
        return "\n".join([head, *(f"{i}. {s}" for i, s in enumerate(items, 1))])

    def _chatty(self, draw: dict[str, Any]) -> str:
        rng = self.rng
        hello = rng.choice(["Hi!", "Hey there,", "Hello team,", "ok so", "Quick one:"])
        why = rng.choice([f"I'm building an app for a {draw['domain'].title.lower()} and need a backend.",
                          "My boss wants this by Friday.", "We keep losing track of things in spreadsheets.",
                          "Nothing fancy."])  # fmt: skip
        body = self._body_sentences(draw)
        bye = rng.choice(["Thanks a lot!", "Cheers.", "Let me know if anything is unclear.", ""])
        return " ".join([hello, why, *body, *self._tail(draw), bye])

    def typos(self, text: str) -> str:
        rng = self.rng
        out = []
        for w in text.split(" "):
            if len(w) > 4 and w.isalpha() and rng.random() < 0.06:
                i = rng.randrange(1, len(w) - 1)
                w = rng.choice([w[:i] + w[i + 1 :], w[:i] + w[i + 1] + w[i] + w[i + 2 :], w[:i] + w[i] + w[i:]])
            out.append(w)
        return " ".join(out)


def generate(seed: int, n: int, *, held_out: bool = False) -> Iterator[Example]:
    """``n`` pairs from ``seed``; ``held_out`` draws only from the domains training never sees."""
    rng = random.Random(seed)
    domains = [d for d in parse_domains() if (d.key in HELD_OUT) == held_out]
    sampler = SpecSampler(rng, domains)
    made = 0
    while made < n:
        draw = sampler.sample()
        if held_out and draw["domain"].title.endswith(" tracking"):
            continue  # neutral-noun entity names are shared with training; keep held-out cases clean
        made += 1
        writer = PromptWriter(rng)
        prompt = writer.write(draw)
        yield Example(prompt, to_spec(draw, writer.marks))
