"""The triage decision: which predictions a person must check before the case is routed.

    bodies = {c.code: c.body for c in load_taxonomy()}
    if needs_triage(prediction, threshold, bodies):
        ...publish to complaints.triage with triage_reason(prediction, threshold, bodies)

What routing needs is the right body, so with `bodies` the decision weighs the routing
confidence: the summed probability of the best guesses that belong to the same body as the
top category (a text torn between "potholes" and "manholes" is still surely for the roads
department). Without `bodies` it is the category confidence alone.

The default threshold is the one the held-out evaluation of the shipped model supports (see
`sportello train`'s report): roughly one case in eight goes to a person, and of the rest
about nine in ten reach the right body.
"""

from collections.abc import Mapping

from processors.classify.model import Prediction

DEFAULT_THRESHOLD = 0.45


def routing_confidence(prediction: Prediction, bodies: Mapping[str, str] | None = None) -> float:
    """The category confidence, or with `bodies` (category code -> default body) the summed
    confidence of the top guesses owned by the top category's body."""
    if bodies is None:
        return prediction.confidence
    body = bodies.get(prediction.category, prediction.category)
    return sum(
        a.confidence for a in prediction.alternatives if bodies.get(a.category, a.category) == body
    )


def needs_triage(
    prediction: Prediction,
    threshold: float = DEFAULT_THRESHOLD,
    bodies: Mapping[str, str] | None = None,
) -> bool:
    """True when the classifier is not sure enough to route automatically."""
    return routing_confidence(prediction, bodies) < threshold


def triage_reason(
    prediction: Prediction,
    threshold: float = DEFAULT_THRESHOLD,
    bodies: Mapping[str, str] | None = None,
) -> str:
    """A one-line explanation for the operator: the confidence, the threshold and the best
    guesses, so the person starts from the likely categories."""
    guesses = ", ".join(f"{a.category} {a.confidence:.2f}" for a in prediction.alternatives)
    verdict = "below" if needs_triage(prediction, threshold, bodies) else "at or above"
    confidence = routing_confidence(prediction, bodies)
    return (
        f"confidence {confidence:.2f} {verdict} threshold {threshold:.2f}; "
        f"best guesses: {guesses}; language {prediction.language}"
    )
