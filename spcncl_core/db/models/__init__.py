"""All models, importable from one place (Alembic and the back office need them registered on Base.metadata)."""

from spcncl_core.db.models.audit import AuditEntry
from spcncl_core.db.models.council import Assignment, Conflict, CouncilMember, ScoringEntry, ScoringForm
from spcncl_core.db.models.dossiers import Dossier, DossierDocument, PreliminaryScore, PrerequisiteCheck, Result
from spcncl_core.db.models.enterprises import Enterprise, Product
from spcncl_core.db.models.programme import Jurisdiction, RecognitionDecision, Round, RoundCriteriaSet
from spcncl_core.db.models.publication import Comment, Explanation, Publication
from spcncl_core.db.models.recognition import Certificate
from spcncl_core.db.models.users import Setting, User

__all__ = [
    "Assignment", "AuditEntry", "Certificate", "Comment", "Conflict", "CouncilMember", "Dossier", "DossierDocument",
    "Enterprise", "Explanation", "Jurisdiction", "PreliminaryScore", "PrerequisiteCheck", "Product", "Publication",
    "RecognitionDecision", "Result", "Round", "RoundCriteriaSet", "ScoringEntry", "ScoringForm", "Setting", "User",
]
