"""Strong lottery tickets (`supermask`) and STR (`str`) started from ER networks: command name -> runner."""
from __future__ import annotations

from sparselab.experiments.tickets.runners import STRRunner, SupermaskRunner

TICKET_COMMANDS = {SupermaskRunner.name: SupermaskRunner, STRRunner.name: STRRunner}
