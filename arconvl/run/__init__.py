"""One training run of the protocol: its options (``options``) resolved into a ``RunConfig``
(``config``), the training itself (``training``, ``callbacks``), the state it resumes from
(``checkpoint``), the files of its directory (``files``, ``directory``) with the versions and
machine it ran on (``environment``), and a finished run used again (``finished``, ``predict``)."""
