"""Flow tests: scenario files (`*.test.yaml`), expectations and coverage.

    from flowc.flowtest import load_scenario_file, check_expectations
    sf = load_scenario_file(Path("examples/telecom_care.test.yaml"))
    for scenario in sf.scenarios:
        result = simulate(scenario.flow, scenario)          # or any other host's result
        failures = check_expectations(result, scenario)

`Scenario` and `check_expectations` depend on neither the simulator nor the interpreter, so
another host (the runtime's FreeSWITCH emulator) can play the same scenarios and judge its own
results. `flowc.flowtest.runner` is `flowc test`: discovery, reports, JUnit XML and coverage.
"""

from flowc.flowtest.expect import Failure, ResultLike, check_expectations, same_value
from flowc.flowtest.scenario import (
    CallerInput,
    Expectations,
    MockResponse,
    QueueAnswer,
    Scenario,
    ScenarioError,
    ScenarioFile,
    TransferAnswer,
    build_scenario,
    load_scenario_file,
    parse_input,
    parse_time,
)

__all__ = [
    "CallerInput",
    "Expectations",
    "Failure",
    "MockResponse",
    "QueueAnswer",
    "ResultLike",
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "TransferAnswer",
    "build_scenario",
    "check_expectations",
    "load_scenario_file",
    "parse_input",
    "parse_time",
    "same_value",
]
