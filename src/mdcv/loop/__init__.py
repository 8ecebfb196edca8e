"""The CV loop: learn a CV, bias along it, reweight, retrain, round after round.

Round 0 learns from unbiased samples; round r+1 samples V(x) + V_b(x) with
V_b = -c·F_r(ξ_r(x)), ξ_r round r's first eigenfunction and F_r the free energy along
it, reweights by w ∝ exp(β V_b) and retrains. Modules: :mod:`~mdcv.loop.settings`
(config, pure Python), :mod:`~mdcv.loop.bias` (F along ξ, the bias, weights),
:mod:`~mdcv.loop.cv` (ξ from a model directory), :mod:`~mdcv.loop.toy` (a toy round's
sampling and transitions), :mod:`~mdcv.loop.readout` (λ and the effective sample size
with walker-bootstrap intervals), :mod:`~mdcv.loop.status` (the round record and the
stopping rule, pure Python), :mod:`~mdcv.loop.table` (results/tables/cv_loop.csv),
:mod:`~mdcv.loop.steps` (what the rules' scripts call) and :mod:`~mdcv.loop.plan` (the
rules' inputs, the checkpoint walk).
"""
