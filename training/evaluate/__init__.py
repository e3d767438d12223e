"""How well a model reads, each judged as the app runs it (its own Classifier, Recognizer and Adapter).

`mnist` (the MNIST test set: `evaluate`), `drawings` (pen digits replayed on the canvas, writer-disjoint:
`evaluate-drawings`), `numbers` (numbers composed from each writer's digits: `evaluate-numbers`),
`adaptation` (does a profile help its writer?: `evaluate-adaptation`).
"""
