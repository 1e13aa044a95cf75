package dev.tessitura.model;

/** What a (possibly interrupted) pass over an epoch did: the mean cost per frame, where it stopped, whether it ended. */
public record EpochResult(double meanCost, Position next, boolean completed) {}
