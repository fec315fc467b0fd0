"""What an SMPP command_status means for the message that got it.

Any response other than ESME_ROK means the SMSC did not take the message, so sending it
again cannot duplicate it; the question is only whether a retry can help:
- throttling and a full queue are the SMSC asking us to slow down: retry later, as long as
  the message is valid;
- system and temporary application errors may pass: retry a few times;
- everything else (bad address, bad length, ...) will fail again: permanent.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

ESME_ROK: Final = 0x00000000
ESME_RINVMSGLEN: Final = 0x00000001
ESME_RINVCMDLEN: Final = 0x00000002
ESME_RINVCMDID: Final = 0x00000003
ESME_RINVBNDSTS: Final = 0x00000004
ESME_RALYBND: Final = 0x00000005
ESME_RINVPRTFLG: Final = 0x00000006
ESME_RINVREGDLVFLG: Final = 0x00000007
ESME_RSYSERR: Final = 0x00000008
ESME_RINVSRCADR: Final = 0x0000000A
ESME_RINVDSTADR: Final = 0x0000000B
ESME_RINVMSGID: Final = 0x0000000C
ESME_RBINDFAIL: Final = 0x0000000D
ESME_RINVPASWD: Final = 0x0000000E
ESME_RINVSYSID: Final = 0x0000000F
ESME_RMSGQFUL: Final = 0x00000014
ESME_RINVSERTYP: Final = 0x00000015
ESME_RINVNUMDESTS: Final = 0x00000033
ESME_RINVDESTFLAG: Final = 0x00000040
ESME_RINVSUBREP: Final = 0x00000042
ESME_RINVESMCLASS: Final = 0x00000043
ESME_RSUBMITFAIL: Final = 0x00000045
ESME_RINVSRCTON: Final = 0x00000048
ESME_RINVSRCNPI: Final = 0x00000049
ESME_RINVDSTTON: Final = 0x00000050
ESME_RINVDSTNPI: Final = 0x00000051
ESME_RTHROTTLED: Final = 0x00000058
ESME_RINVSCHED: Final = 0x00000061
ESME_RINVEXPIRY: Final = 0x00000062
ESME_RX_T_APPN: Final = 0x00000064
ESME_RX_P_APPN: Final = 0x00000065
ESME_RX_R_APPN: Final = 0x00000066
ESME_RINVOPTPARSTREAM: Final = 0x000000C0
ESME_ROPTPARNOTALLWD: Final = 0x000000C1
ESME_RINVPARLEN: Final = 0x000000C2
ESME_RMISSINGOPTPARAM: Final = 0x000000C3
ESME_RINVOPTPARAMVAL: Final = 0x000000C4
ESME_RDELIVERYFAILURE: Final = 0x000000FE
ESME_RUNKNOWNERR: Final = 0x000000FF

NAMES: Final = {
    ESME_ROK: "ok",
    ESME_RINVMSGLEN: "invalid message length",
    ESME_RINVCMDLEN: "invalid command length",
    ESME_RINVCMDID: "invalid command id",
    ESME_RINVBNDSTS: "incorrect bind status",
    ESME_RALYBND: "already bound",
    ESME_RINVPRTFLG: "invalid priority flag",
    ESME_RINVREGDLVFLG: "invalid registered delivery flag",
    ESME_RSYSERR: "system error",
    ESME_RINVSRCADR: "invalid source address",
    ESME_RINVDSTADR: "invalid destination address",
    ESME_RINVMSGID: "invalid message id",
    ESME_RBINDFAIL: "bind failed",
    ESME_RINVPASWD: "invalid password",
    ESME_RINVSYSID: "invalid system id",
    ESME_RMSGQFUL: "message queue full",
    ESME_RINVSERTYP: "invalid service type",
    ESME_RINVNUMDESTS: "invalid number of destinations",
    ESME_RINVDESTFLAG: "invalid destination flag",
    ESME_RINVSUBREP: "invalid submit with replace",
    ESME_RINVESMCLASS: "invalid esm_class",
    ESME_RSUBMITFAIL: "submit failed",
    ESME_RINVSRCTON: "invalid source address TON",
    ESME_RINVSRCNPI: "invalid source address NPI",
    ESME_RINVDSTTON: "invalid destination address TON",
    ESME_RINVDSTNPI: "invalid destination address NPI",
    ESME_RTHROTTLED: "throttled",
    ESME_RINVSCHED: "invalid scheduled delivery time",
    ESME_RINVEXPIRY: "invalid validity period",
    ESME_RX_T_APPN: "temporary application error",
    ESME_RX_P_APPN: "permanent application error",
    ESME_RX_R_APPN: "rejected by the application",
    ESME_RINVOPTPARSTREAM: "invalid optional parameter stream",
    ESME_ROPTPARNOTALLWD: "optional parameter not allowed",
    ESME_RINVPARLEN: "invalid parameter length",
    ESME_RMISSINGOPTPARAM: "missing optional parameter",
    ESME_RINVOPTPARAMVAL: "invalid optional parameter value",
    ESME_RDELIVERYFAILURE: "delivery failure",
    ESME_RUNKNOWNERR: "unknown error",
}


class StatusClass(StrEnum):
    OK = "ok"
    THROTTLED = "throttled"  # retry later, until the message expires
    TRANSIENT = "transient"  # retry a few times
    PERMANENT = "permanent"  # fail now


_THROTTLED: Final = frozenset({ESME_RTHROTTLED, ESME_RMSGQFUL})
_TRANSIENT: Final = frozenset({ESME_RSYSERR, ESME_RX_T_APPN, ESME_RINVBNDSTS})


def classify(status: int) -> StatusClass:
    if status == ESME_ROK:
        return StatusClass.OK
    if status in _THROTTLED:
        return StatusClass.THROTTLED
    if status in _TRANSIENT:
        return StatusClass.TRANSIENT
    return StatusClass.PERMANENT


def status_code(status: int) -> str:
    """As the events carry it: `0x0000000B`."""
    return f"0x{status:08X}"


def describe(status: int) -> str:
    return NAMES.get(status, f"command_status {status_code(status)}")
