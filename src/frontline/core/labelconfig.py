"""The Label Studio labeling config, generated from the :class:`~frontline.core.scheme.Scheme`.

The result is committed as ``annotation/label_config.xml`` so an annotator can paste it
into any Label Studio; a test fails when the committed file is out of date.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from frontline.core.scheme import Scheme

#: Names of the control and object tags: they appear in every exported result
#: (``from_name``/``to_name``) and must never change (Label Studio refuses a rename).
FROM_NAME = "label"
TO_NAME = "text"


def label_config(scheme: Scheme) -> str:
    """Return the labeling config XML for ``scheme`` (stable text, ends with a newline).

    >>> from frontline.core.scheme import Scheme, EntityLabel, RelationLabel
    >>> s = Scheme("1", "Label.", (EntityLabel("PER", "p", "#000001", "1"),),
    ...            (RelationLabel("MEETS", "m", "#000002", ("PER",), ("PER",)),))
    >>> 'value="PER"' in label_config(s)
    True
    """
    view = ET.Element("View")
    ET.SubElement(
        view, "Header", value=f"Frontline scheme {scheme.version}: {scheme.instructions}", size="6"
    )
    relations = ET.SubElement(view, "Relations")
    for rel in scheme.relations:
        ET.SubElement(relations, "Relation", value=rel.name, background=rel.color)
    labels = ET.SubElement(view, "Labels", name=FROM_NAME, toName=TO_NAME, showInline="true")
    for ent in scheme.entities:
        ET.SubElement(
            labels,
            "Label",
            value=ent.name,
            background=ent.color,
            hotkey=ent.hotkey,
            hint=ent.description,
        )
    ET.SubElement(view, "Text", name=TO_NAME, value=f"${TO_NAME}")
    ET.indent(view, space="  ")
    return ET.tostring(view, encoding="unicode") + "\n"
