/**
 * The vocabulary of Baton: requests, sampling and SLO parameters, the {@link dev.baton.api.Engine} facade, admission
 * outcomes, finish reasons, and the {@link dev.baton.api.plan.StepPlan}/{@link dev.baton.api.plan.StepResult}
 * contract between scheduler and device. Depends on nothing but {@code java.base}.
 */
module dev.baton.api {
    exports dev.baton.api;
    exports dev.baton.api.admission;
    exports dev.baton.api.plan;
    exports dev.baton.api.request;
}
