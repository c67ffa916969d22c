"""Learning-platform exports of an exercise pack: Moodle XML, Canvas QTI 1.2, PrairieLearn, and the practice page."""

LMS = ("moodle", "canvas", "prairielearn")
