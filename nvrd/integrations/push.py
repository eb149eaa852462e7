"""Checking pushed events against the registries, and what each one publishes.

:func:`check` runs over the whole body before anything is applied, so a
body is taken entirely or not at all. Two things do not refuse a body: an
emergency call's ``camera`` list naming channels that do not exist (the
call is kept, the unknown channels are dropped and reported), and, unless
``accept_unknown`` is off, an LPR ``src`` nobody registered (it is
registered by the service). :func:`publication` gives the bus event of one
pushed item; parking counts and the event log are handled by the service
that applies the items.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from nvrd.core.clock import ms_from_datetime
from nvrd.core.errors import bad_request
from nvrd.core.pushspec import (
    BodyTemperaturePush,
    EmergencyPush,
    LprPush,
    ObjectPush,
    PackingPush,
    PushItem,
)
from nvrd.events.types import (
    BodyTemperature,
    ChannelRef,
    EmergencyCall,
    Event,
    LprRead,
    ObjectSeen,
    Packing,
)
from nvrd.store.integrations import EmergencyDevice, LprSource
from nvrd.store.lprlog import LprRecord


@dataclass(frozen=True)
class Devices:
    """The registries as one push sees them: devices by code."""

    lpr: Mapping[str, LprSource]
    calls: Mapping[str, EmergencyDevice]


def _channel(chid: int, name: str, titles: Mapping[int, str]) -> None:
    if chid not in titles:
        raise bad_request("pushUnknownChannel", field=name, ch=chid)


@dataclass(frozen=True)
class Checked:
    """A body that passed :func:`check`, and what it asks of the service."""

    items: list[PushItem]
    #: LPR codes to register before the items are applied (in order of first use).
    new_sources: list[str] = field(default_factory=list)
    #: Per emergency-call item (its field prefix), the ``camera`` channels dropped.
    ignored: dict[str, tuple[int, ...]] = field(default_factory=dict)


def _known_cameras(item: EmergencyPush, titles: Mapping[int, str], out: Checked) -> PushItem:
    if item.camera is None:
        return item
    unknown = tuple(c for c in item.camera if c not in titles)
    if not unknown:
        return item
    out.ignored[item.at] = unknown
    return replace(item, camera=tuple(c for c in item.camera if c in titles))


def check(
    items: list[PushItem],
    devices: Devices,
    titles: Mapping[int, str],
    accept_unknown: bool = False,
) -> Checked:
    """400 for the first item naming a device or channel that does not exist
    (except as the module text says)."""
    out = Checked([])
    for item in items:
        if isinstance(item, LprPush):
            src = devices.lpr.get(item.src)
            if src is None and not accept_unknown:
                raise bad_request("pushUnknownLprSrc", field=item.at + "src", value=item.src)
            if src is None:
                if item.src not in out.new_sources:
                    out.new_sources.append(item.src)
            elif src.tag == "NotUsed":
                raise bad_request("pushLprSrcNotUsed", field=item.at + "src", value=item.src)
        elif isinstance(item, EmergencyPush):
            if item.src not in devices.calls:
                raise bad_request("pushUnknownCaller", field=item.at + "src", value=item.src)
            item = _known_cameras(item, titles, out)
        elif isinstance(item, ObjectPush | PackingPush):
            _channel(item.chid, item.at + "chid", titles)
        else:
            _channel(item.chid, item.at + "chid", titles)
            for n, chid in enumerate(item.linked):
                _channel(chid, f"{item.at}linkedChannel[{n}]", titles)
        out.items.append(item)
    return out


def time_ms(item: PushItem) -> int:
    """When the pushed event happened, in epoch milliseconds."""
    return ms_from_datetime(item.when)


def lpr_record(item: LprPush, src: LprSource) -> LprRecord:
    return LprRecord(
        when_ms=time_ms(item),
        time_begin_ms=ms_from_datetime(item.time_begin),
        src_code=src.code,
        src_name=src.name,
        plate_no=item.plate_no,
        src_id=src.id,
        chid=src.main_chid,
        linked=tuple(src.chids),
        score=float(item.score) if item.score is not None else None,
        roi=item.roi,
        direction=item.direction,
        parking_entrance=src.entrance,
        parking_exit=src.exit,
        image=item.image,
    )


def refs(chids: Iterable[int], titles: Mapping[int, str]) -> tuple[ChannelRef, ...]:
    """The channels ``chids`` as titled now ("" for one that is gone)."""
    return tuple(ChannelRef(chid=c, title=titles.get(c, "")) for c in chids)


def lpr_event(rec: LprRecord, src: LprSource, titles: Mapping[int, str]) -> LprRead:
    """The bus event of one vehicle-number log entry (pushed or read by nvrd)."""
    return LprRead(
        at_ms=rec.when_ms,
        time_begin_ms=rec.time_begin_ms,
        device_code=src.code,
        device_name=src.name,
        channels=refs(src.chids, titles),
        plate_no=rec.plate_no,
        score=rec.score,
        roi=rec.roi,
        direction=rec.direction,
        image=rec.image[0] if rec.image else None,
        parking_entrance=src.entrance,
        parking_exit=src.exit,
    )


def publication(item: PushItem, devices: Devices, titles: Mapping[int, str]) -> Event:
    """The bus event of one (checked) item."""
    if isinstance(item, LprPush):
        src = devices.lpr[item.src]
        return lpr_event(lpr_record(item, src), src, titles)
    at_ms = time_ms(item)
    if isinstance(item, EmergencyPush):
        dev = devices.calls[item.src]
        return EmergencyCall(
            at_ms=at_ms,
            caller=dev.code,
            name=dev.name,
            device=item.device,
            event=item.event,
            linked=refs(dev.linked, titles),
            camera=item.camera,
        )
    if isinstance(item, ObjectPush):
        return ObjectSeen(
            at_ms=at_ms,
            chid=item.chid,
            obj_id=item.obj_id,
            type=item.type,
            parent_id=item.parent_id,
            likelihood=item.likelihood,
            attributes=item.attributes,
            image=item.image,
        )
    if isinstance(item, BodyTemperaturePush):
        return BodyTemperature(
            at_ms=at_ms,
            chid=item.chid,
            obj_id=item.obj_id,
            linked=refs(item.linked, titles),
            likelihood=item.likelihood,
            temperature=item.temperature,
            image=item.image,
        )
    return Packing(
        at_ms=at_ms,
        channel=refs([item.chid], titles)[0],
        code=item.code,
        event=item.event,
    )
