namespace MLNetExt.Training.Schedules;

/// <summary>
/// Learning rate as a pure function of the optimizer step (0-based), so a checkpoint only needs the step.
/// Every schedule warms up linearly from 0 over <see cref="WarmupSteps"/>, then decays to
/// <see cref="PeakLr"/>·<see cref="MinLrRatio"/> at <see cref="TotalSteps"/>.
/// </summary>
public abstract record LrSchedule(double PeakLr, long WarmupSteps, long TotalSteps, double MinLrRatio = 0)
{
    public double At(long step)
    {
        if (step < WarmupSteps) return PeakLr * (step + 1) / WarmupSteps;
        if (step >= TotalSteps) return PeakLr * MinLrRatio;
        double floor = PeakLr * MinLrRatio;
        return floor + (PeakLr - floor) * Decay(step);
    }

    /// <summary>Fraction of the way from the floor to the peak, 1 right after warm-up and 0 at the end.</summary>
    protected abstract double Decay(long step);

    protected double Progress(long from, long step) => Math.Clamp((step - from) / (double)Math.Max(1, TotalSteps - from), 0, 1);
}

/// <summary>Warm-up, then a straight line down.</summary>
public sealed record WarmupLinear(double PeakLr, long WarmupSteps, long TotalSteps, double MinLrRatio = 0)
    : LrSchedule(PeakLr, WarmupSteps, TotalSteps, MinLrRatio)
{
    protected override double Decay(long step) => 1 - Progress(WarmupSteps, step);
}

/// <summary>Warm-up, then half a cosine down.</summary>
public sealed record WarmupCosine(double PeakLr, long WarmupSteps, long TotalSteps, double MinLrRatio = 0)
    : LrSchedule(PeakLr, WarmupSteps, TotalSteps, MinLrRatio)
{
    protected override double Decay(long step) => 0.5 * (1 + Math.Cos(Math.PI * Progress(WarmupSteps, step)));
}

/// <summary>
/// Warm-up-stable-decay (trapezoidal, as ModernBERT trains): flat at the peak until the last
/// <see cref="DecaySteps"/> steps, then linearly down.
/// </summary>
public sealed record WarmupStableDecay(double PeakLr, long WarmupSteps, long TotalSteps, long DecaySteps, double MinLrRatio = 0)
    : LrSchedule(PeakLr, WarmupSteps, TotalSteps, MinLrRatio)
{
    protected override double Decay(long step) => 1 - Progress(TotalSteps - DecaySteps, step);
}
