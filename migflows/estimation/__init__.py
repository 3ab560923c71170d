"""Estimators that turn (specification, FlowPanel) into immutable results objects."""
