"""The customer journey: visitors, touchpoints, campaigns (see :mod:`magpie.journey.models`)."""
