"""Made-up data for showing and measuring Liaison: the demo network a laptop starts with
(`liaison demo`) and the large network the benchmarks run against (`liaison build_network`).

Everything here is fiction: the people, the practices, the NPIs (valid check digits, invented
numbers) and the telephone numbers (the 555-01xx range, which is never assigned).
"""
