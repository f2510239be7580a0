"""Document and message forms of a record: email, ticket, form printout, log line.

Each carries every field of the record, with headers, greetings and footers that hold no
field value (a value the gold does not have would teach the model to invent one). Arrays of
flat objects become tables in the printout, indexed keys in the log line.
"""

from __future__ import annotations

from slmbench.data.gen_values import Gen, number_text
from slmbench.data.synth.render import Field, Renderer
from slmbench.data.synth.wording import Wording

STYLES = ("kv", "prose", "email", "ticket", "form", "log")
GREETINGS = ("Hello,", "Hi team,", "Good morning,", "Dear colleague,", "Hi,")
EMAIL_INTROS = (
    "Please find the details below.",
    "Here is the summary you asked for.",
    "Sharing the record as discussed.",
    "See the information below and let me know if anything is off.",
)
SIGN_OFFS = ("Best regards,", "Thanks,", "Kind regards,", "Cheers,")
TEAMS = ("Operations", "Customer Service", "The Accounts Team", "Back Office", "Support Desk")
INTROS = (
    "Please see the details below.",
    "Forwarded for processing.",
    "Copy for your records.",
    "Entered from the scanned original.",
)
OUTROS = (
    "Let me know if anything is missing.",
    "This message was generated automatically.",
    "Thank you.",
    "Please keep this for your records.",
)
CONTEXT_CHANCE = 0.3
FORM_LABEL_WIDTH = 28


class DocumentRenderer(Renderer):
    """All six styles of `STYLES`."""

    def __init__(self, g: Gen, wording: Wording):
        super().__init__(g, wording)

    def render(self, style: str, root: Field, title: str) -> str:
        g = self.g
        show_title = title if g.chance(0.7) else None
        if style == "kv":
            text = self.kv(root, show_title)
        elif style == "prose":
            text = self.prose(root, show_title)
        elif style == "email":
            text = self.email(root, title)
        elif style == "ticket":
            text = self.ticket(root, title)
        elif style == "form":
            text = self.form(root, title)
        else:
            text = self.log(root, title)
        if style in ("kv", "prose") and g.chance(CONTEXT_CHANCE):
            text = f"{g.pick(INTROS)}\n\n{text}"
        if style in ("kv", "prose", "form") and g.chance(CONTEXT_CHANCE):
            text = f"{text}\n\n{g.pick(OUTROS)}"
        return text

    def email(self, root: Field, title: str) -> str:
        g = self.g
        body = self.kv(root, None) if g.chance(0.6) else self.prose(root, None)
        subject = g.pick([title, f"{title} details", f"Re: {title}", f"FW: {title}"])
        return (
            f"Subject: {subject}\n\n{g.pick(GREETINGS)}\n\n{g.pick(EMAIL_INTROS)}\n\n{body}\n\n"
            f"{g.pick(SIGN_OFFS)}\n{g.pick(TEAMS)}"
        )

    def ticket(self, root: Field, title: str) -> str:
        g = self.g
        width = g.pick([18, 22, 26])
        rule = g.pick(["=", "-", "#"]) * g.pick([30, 40])
        lines = [g.pick([f"[{title}]", f"{title.upper()} - TICKET", f"Case: {title}"]), rule]
        lines += self.ticket_lines(root.children, width, "")
        lines.append(rule)
        return "\n".join(lines)

    def ticket_lines(self, fields: list[Field], width: int, pad: str) -> list[str]:
        lines: list[str] = []
        for f in fields:
            name = self.label(f)
            if f.is_object:
                lines.append(f"{pad}--- {name} ---")
                lines.extend(self.ticket_lines(f.children, width, pad))
            elif f.is_array:
                self.sep = ": "
                self.bullet = ""
                lines.extend(self.array_lines(f, name, pad, pad))
            else:
                lines.append(f"{pad}{(name + ':').ljust(width)}{self.say(f)}")
        return lines

    def form(self, root: Field, title: str) -> str:
        g = self.g
        rule = "=" * 48
        lines = [rule, title.upper().center(48).rstrip(), rule]
        lines += self.form_lines(root.children, "")
        lines += ["", g.pick(["Page 1 of 1", "-- end of form --", "Signature: ____________"])]
        return "\n".join(lines)

    def form_lines(self, fields: list[Field], prefix: str) -> list[str]:
        lines: list[str] = []
        for f in fields:
            name = (prefix + " " + self.label(f)).strip().upper()
            if f.is_object:
                lines.extend(self.form_lines(f.children, name))
            elif f.is_array:
                lines.append("")
                lines.append(name)
                if f.items and all(i.is_flat for i in f.items):
                    lines.extend(
                        line.upper() if n == 0 else line
                        for n, line in enumerate(self.table(f.items, "", markdown=False))
                    )
                elif f.items and not any(i.is_object or i.is_array for i in f.items):
                    lines.extend(f"  - {self.say(i)}" for i in f.items)
                else:
                    self.sep, self.bullet = ": ", ""
                    lines.extend(self.array_lines(f, name, "", "")[1:] or ["  NONE"])
                lines.append("")
            else:
                lines.append(f"{(name + ' ').ljust(FORM_LABEL_WIDTH, '.')} {self.say(f)}")
        return lines

    def log(self, root: Field, title: str) -> str:
        g = self.g
        pairs = self.log_pairs(root.children, "")
        level = g.pick(["INFO", "INFO", "NOTICE", "DEBUG"])
        event = title.lower().replace(" ", "_")
        head = g.pick([f"level={level} event={event}", f"[{level}] {event}:", f"{level} {event}"])
        if len(pairs) > 8 and g.chance(0.5):
            return "\n".join(
                f"{head} {' '.join(pairs[i : i + 6])}" for i in range(0, len(pairs), 6)
            )
        return f"{head} {' '.join(pairs)}"

    def log_pairs(self, fields: list[Field], prefix: str) -> list[str]:
        out: list[str] = []
        for f in fields:
            key = f"{prefix}.{f.key}" if prefix else f.key
            if f.is_object:
                out.extend(self.log_pairs(f.children, key))
            elif f.is_array:
                if not f.items:
                    out.append(f"{key}=none")
                for i, item in enumerate(f.items):
                    if item.is_object:
                        out.extend(self.log_pairs(item.children, f"{key}[{i}]"))
                    elif item.is_array:
                        out.extend(self.log_pairs(item.items, f"{key}[{i}]"))
                    else:
                        out.append(f"{key}[{i}]={self.log_value(item)}")
            else:
                out.append(f"{key}={self.log_value(f)}")
        return out

    def log_value(self, f: Field) -> str:
        value = f.value
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return "null"
        if isinstance(value, int | float):
            return number_text(value)
        text = str(value)
        return f'"{text}"' if (" " in text or "=" in text or not text) else text
