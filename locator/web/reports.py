"""What workers tell us: station reports and "there should be a station here" suggestions.

No account is needed. Each client (its address, :func:`locator.web.budget.client_address`)
has a budget of reports and suggestions (``LOCATOR_RATELIMIT_REPORTS``, Flask-Limiter), a
daily cap per station (``LOCATOR_REPORTS_DAILY_CAP``), and a honeypot field (``website``,
hidden on the pages: a form that fills it is a robot's; it is answered as if stored and
dropped). The address is kept only as a keyed hash that changes every day
(:func:`client_hash`); a reporter's position never reaches the server, only the
browser's ``near`` flag. Admins moderate reports at ``/admin/reports``
(:mod:`locator.web.admin`) or through ``/api/v1/admin/reports``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import numpy as np
from flask import Blueprint, current_app, jsonify, request

from locator import params
from locator.db import report_writer, reports, suggestions
from locator.db.models import utc_now
from locator.errors import BadQuery, LocatorError
from locator.schema import CONFIRMED
from locator.web.auth import identity, require
from locator.web.bodies import json_body, limit_body
from locator.web.budget import charge_report, client_address
from locator.web.state import data, state

bp = Blueprint("reports", __name__, url_prefix="/api/v1")
MAX_BODY_BYTES = 4096
FAKE_ID = 0  # what a filled honeypot is told


def client_hash() -> str:
    """This client's address, keyed with the app's secret and today's date (UTC):
    equal for one client on one day, unlinkable across days and without the key."""
    message = f"{utc_now().date().isoformat()}|{client_address()}".encode()
    key = str(current_app.secret_key).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def _body() -> dict[str, Any]:
    limit_body(MAX_BODY_BYTES)
    body = json_body()
    if not isinstance(body, dict):
        raise BadQuery("send a JSON object (Content-Type: application/json).")
    return body


def _is_robot(body: dict[str, Any]) -> bool:
    return bool(body.get("website"))


def _station_row(station_id: str) -> int:
    """The station's row in the served version; NotFound (404) when it has none."""
    return data().table.row_of(station_id)


@bp.post("/stations/<station_id>/reports")
def add_report(station_id: str) -> Any:
    """Report what is true of a station now (no account).
    ---
    post:
      summary: Report on a station (open, closed, moved, an amenity missing or present, …)
      description: 'No account needed. Each client may send LOCATOR_RATELIMIT_REPORTS
        reports and suggestions, and LOCATOR_REPORTS_DAILY_CAP a day about one station;
        more answer 429 with Retry-After. Reports wait for an admin: confirmed ones change
        the station in a new dataset version. Leave website empty (a honeypot).'
      parameters:
        - {name: station_id, in: path, required: true, schema: {type: string},
           example: BJ-0001}
      requestBody:
        required: true
        content:
          application/json:
            schema: ReportRequest
            examples:
              closed:
                summary: 'closed for good, reported at the door'
                value: {kind: closed_for_good, near: true, website: ''}
              no_shower:
                summary: 'the shower is missing or broken'
                value: {kind: amenity_missing, amenity: shower, comment: '淋浴坏了',
                        website: ''}
      responses:
        201:
          description: 'stored, waiting for moderation'
          content:
            application/json:
              schema: ReportCreated
        400: {description: 'bad body', content: {application/json: {schema: Error}}}
        404: {description: 'no such station', content: {application/json: {schema: Error}}}
        405: MethodNotAllowed
        413: PayloadTooLarge
        429: TooManyRequests
    """
    body = _body()
    report = reports.parse_report(station_id, body)
    _station_row(station_id)
    charge_report()
    if _is_robot(body):
        stored = {"id": FAKE_ID, "station": station_id, "kind": report.kind,
                  "created": utc_now().isoformat(timespec="seconds")}  # fmt: skip
        return jsonify({"ok": True, "report": stored}), 201
    cap = int(state().settings["REPORTS_DAILY_CAP"])
    found = report_writer.add_report(state().engine, report, client_hash(), cap)
    stored = {"id": found.id, "station": found.station_id, "kind": found.kind,
              "created": found.created_at.isoformat(timespec="seconds")}  # fmt: skip
    return jsonify({"ok": True, "report": stored}), 201


@bp.get("/stations/<station_id>/reports")
def station_reports(station_id: str) -> Any:
    """A station's recent reports, counted (public).
    ---
    get:
      summary: Counts of a station's reports in the last 30 days
      description: 'Counts by kind; comments only of reports an admin confirmed;
        reported_closed is the day of the latest "closed for good" report when several
        clients sent one and no admin has acted yet; last_confirmed is the day an import
        listed the station or an admin confirmed a report on it.'
      parameters:
        - {name: station_id, in: path, required: true, schema: {type: string},
           example: BJ-0001}
      responses:
        200:
          description: 'the summary'
          content:
            application/json:
              schema: ReportSummary
        404: {description: 'no such station', content: {application/json: {schema: Error}}}
    """
    row = _station_row(station_id)
    flag_clients = int(state().settings["REPORTS_CLOSED_FLAG_CLIENTS"])
    found = reports.summary(state().engine, station_id, flag_clients)
    return jsonify(
        {
            "station": station_id,
            "days": reports.WINDOW_DAYS,
            "counts": {kind: found.counts.get(kind, 0) for kind in reports.KINDS},
            "comments": [
                {"kind": kind, "comment": text, "date": day.isoformat()}
                for kind, text, day in found.comments
            ],
            "reported_closed": found.reported_closed and found.reported_closed.isoformat(),
            "last_confirmed": last_confirmed(row),
        }
    )


@bp.post("/suggestions")
def add_suggestion() -> Any:
    """Say "there should be a station here" (no account).
    ---
    post:
      summary: Suggest a place for a new station
      description: 'The point (WGS84) is stored as the centre of its 250 m grid cell,
        never as sent. Same budget as reports; at most LOCATOR_SUGGESTIONS_DAILY_CAP a day
        per client. Planners add suggestions to a plan as a demand layer.'
      requestBody:
        required: true
        content:
          application/json:
            schema: SuggestionRequest
            examples:
              toilet:
                summary: 'water and a toilet needed here'
                value: {lon: 116.4074, lat: 39.9042, needs: [water, toilet], website: ''}
      responses:
        201:
          description: 'stored at its cell centre'
          content:
            application/json:
              schema: SuggestionCreated
        400: {description: 'bad body', content: {application/json: {schema: Error}}}
        405: MethodNotAllowed
        413: PayloadTooLarge
        422: {description: 'outside the regions this server serves',
              content: {application/json: {schema: Error}}}
        429: TooManyRequests
    """
    body = _body()
    unknown = sorted(set(body) - {"lon", "lat", "needs", "website"})
    if unknown:
        raise BadQuery(f"unknown field {', '.join(map(repr, unknown))} in the suggestion.")
    lon = params.parse_float("lon", _number(body, "lon"), -180, 180)
    lat = params.parse_float("lat", _number(body, "lat"), -90, 90)
    needs = suggestions.parse_needs(body.get("needs"))
    st = state()
    if st.regions.locate(np.array([lon]), np.array([lat]))[0] < 0:
        served = ", ".join(st.regions.names)
        raise LocatorError(f"the point lies outside the regions served ({served}).", status=422)
    charge_report()
    if _is_robot(body):
        _, centre_lon, centre_lat = suggestions.snap(lon, lat)
        shown = {"id": FAKE_ID, "lon": round(centre_lon, 6), "lat": round(centre_lat, 6),
                 "needs": list(needs)}  # fmt: skip
        return jsonify({"ok": True, "suggestion": shown}), 201
    cap = int(st.settings["SUGGESTIONS_DAILY_CAP"])
    found = suggestions.add_suggestion(st.engine, lon, lat, needs, client_hash(), cap)
    return jsonify({"ok": True, "suggestion": suggestions.suggestion_json(found)}), 201


def _number(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadQuery(f"{name} must be a number.")
    return repr(float(value))


@bp.get("/suggestions")
def list_suggestions() -> Any:
    """Suggested places, as GeoJSON points at their cell centres (public).
    ---
    get:
      summary: '"There should be a station here" suggestions'
      parameters:
        - {name: needs, in: query, schema: {type: string}, example: 'toilet,water',
           description: 'only those naming one of these'}
      responses:
        200:
          description: 'a FeatureCollection: one feature per suggestion, at the centre of
            its 250 m cell, with needs and created'
          content:
            application/geo+json:
              schema: {type: object}
              example: {type: FeatureCollection, numberMatched: 0, features: []}
        400: {description: 'an unknown need', content: {application/json: {schema: Error}}}
    """
    asked = request.args.get("needs")
    needs = suggestions.parse_needs(asked.split(",")) if asked else ()
    found = suggestions.all_suggestions(state().engine, needs)
    features = [
        {
            "type": "Feature",
            "id": s.id,
            "geometry": {"type": "Point", "coordinates": [round(s.lon, 6), round(s.lat, 6)]},
            "properties": {"needs": list(s.needs), "created": s.created_at.date().isoformat()},
        }
        for s in found
    ]
    response = jsonify({"type": "FeatureCollection", "numberMatched": len(features),
                        "features": features})  # fmt: skip
    response.mimetype = "application/geo+json"
    return response


@bp.get("/admin/reports")
@require("admin")
def report_queue() -> Any:
    """The moderation queue (admins).
    ---
    get:
      summary: Stations with reports waiting for an admin, and their recent reports
      security: [{token: []}]
      responses:
        200:
          description: 'the queue, most reported station first'
          content:
            application/json:
              schema: {type: object}
              example: {stations: [{station: BJ-0001, reports: [{id: 1, kind: closed_for_good,
                        amenity: null, comment: '', near: true, status: pending,
                        created: '2026-12-03T08:00:00+00:00'}]}]}
        401: Unauthorized
        403: Forbidden
    """
    queue = reports.pending(state().engine)
    return jsonify(
        {
            "stations": [
                {"station": station_id, "reports": [_report_json(r) for r in found]}
                for station_id, found in queue.items()
            ]
        }
    )


@bp.post("/admin/reports/<int:report_id>")
@require("admin")
def moderate(report_id: int) -> Any:
    """Confirm, dismiss or mark for a site visit (admins).
    ---
    post:
      summary: Act on a pending report
      security: [{token: []}]
      parameters:
        - {name: report_id, in: path, required: true, schema: {type: integer}, example: 1}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [action]
              properties:
                action: {type: string, enum: [confirm, dismiss, visit]}
            example: {action: confirm}
      responses:
        200:
          description: 'done; dataset is the new version a confirm made'
          content:
            application/json:
              schema: {type: object}
              example: {ok: true, report: 1, action: confirm, dataset: 4}
        400: {description: 'bad action', content: {application/json: {schema: Error}}}
        401: Unauthorized
        403: Forbidden
        404: {description: 'no such report', content: {application/json: {schema: Error}}}
        405: MethodNotAllowed
        413: PayloadTooLarge
        409: {description: 'already settled, or a kind that needs a site visit',
              content: {application/json: {schema: Error}}}
    """
    action = _body().get("action")
    who = identity()
    version = reports.moderate(state().engine, report_id, str(action), who.name if who else "")
    return jsonify({"ok": True, "report": report_id, "action": action, "dataset": version})


def _report_json(found: reports.Report) -> dict[str, Any]:
    return {"id": found.id, "kind": found.kind, "amenity": found.amenity,
            "comment": found.comment, "near": found.near, "status": found.status,
            "created": found.created_at.isoformat(timespec="seconds")}  # fmt: skip


def last_confirmed(row: int) -> str | None:
    """The day (ISO) the station at ``row`` of the served version was last confirmed."""
    frame = data().table.frame
    return (frame[CONFIRMED].iloc[row] or None) if CONFIRMED in frame else None
