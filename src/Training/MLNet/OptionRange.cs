using System.Globalization;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// Option checks for the estimators' constructors: each failure is an <see cref="ArgumentOutOfRangeException"/>
/// (or <see cref="ArgumentException"/>) naming the options type, the option, its value and what it may be.
/// </summary>
internal static class OptionRange
{
    public static void AtLeast(object owner, string option, long value, long min)
    {
        if (value < min) throw Fail(owner, option, value, $"at least {min}");
    }

    /// <summary>A finite number in [<paramref name="min"/>, <paramref name="max"/>], or above <paramref name="min"/> when <paramref name="exclusiveMin"/>.</summary>
    public static void Number(object owner, string option, double value, double min, double max = double.MaxValue, bool exclusiveMin = false)
    {
        bool ok = double.IsFinite(value) && (exclusiveMin ? value > min : value >= min) && value <= max;
        if (ok) return;
        string low = exclusiveMin ? $"> {Format(min)}" : $">= {Format(min)}";
        throw Fail(owner, option, value, max == double.MaxValue ? $"a finite number {low}" : $"a finite number {low} and <= {Format(max)}");
    }

    public static void Defined<TEnum>(object owner, string option, TEnum value) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw Fail(owner, option, value, "one of " + string.Join(", ", Enum.GetNames<TEnum>()));
    }

    public static void NotBlank(object owner, string option, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) throw Fail(owner, option, value, "a non-empty name");
    }

    public static ArgumentOutOfRangeException Fail(object owner, string option, object? value, string range) =>
        new(option, value, $"{owner.GetType().Name}.{option} is {Format(value)}; it must be {range}.");

    /// <summary>An option that cannot work with another one's value.</summary>
    public static ArgumentException Conflict(object owner, string option, string message) => new($"{owner.GetType().Name}.{option}: {message}", option);

    static string Format(object? value) => value switch
    {
        null => "null",
        string s => $"'{s}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
