namespace MLNetExt.Training.Optim;

/// <summary>AdamW hyper-parameters except the learning rate, which the schedule supplies each step.</summary>
public sealed record AdamWOptions(double Beta1 = 0.9, double Beta2 = 0.98, double Epsilon = 1e-6, double WeightDecay = 0.01);
